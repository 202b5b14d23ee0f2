# Keeps allocating: stopped at the memory limit.
keep = []
while True:
    keep.append("x" * (1 << 20) + str(len(keep)))
