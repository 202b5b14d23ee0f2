# The first of two runs of one principal: what it leaves in /tmp is there for the next run.
counter = "/tmp/counter.txt"
with open(counter, "w") as f:
    f.write("41")
print("saved")
