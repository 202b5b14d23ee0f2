# The second run: it finds the first run's file and updates it.
counter = "/tmp/counter.txt"
n = int(open(counter).read()) + 1
with open(counter, "w") as f:
    f.write(str(n))
print(n)
