# Files in the principal's private /tmp: write, append, read back, list, stat, rename, remove.
from __future__ import print_function
import os
with open("/tmp/notes.txt", "w") as f:
    f.write("first\n")
with open("/tmp/notes.txt", "a") as f:
    f.write("second\n")
print(open("/tmp/notes.txt").read().split())
os.mkdir("/tmp/sub")
os.rename("/tmp/notes.txt", "/tmp/sub/moved.txt")
print(sorted(os.listdir("/tmp/sub")), os.stat("/tmp/sub/moved.txt").st_size)
os.remove("/tmp/sub/moved.txt")
os.rmdir("/tmp/sub")
print("exists" if os.path.exists("/tmp/sub") else "gone")
