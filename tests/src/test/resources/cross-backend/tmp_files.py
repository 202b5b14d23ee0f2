# Files in the principal's private /tmp: write, append, read back, make a directory, list, stat, remove.
from __future__ import print_function
import os
with open("/tmp/notes.txt", "w") as f:
    f.write("first\n")
with open("/tmp/notes.txt", "a") as f:
    f.write("second\n")
print(open("/tmp/notes.txt").read().split())
print(os.access("/tmp/notes.txt", os.W_OK), os.access("/usr/lib/cordon/cordon/__init__.py", os.W_OK),
      os.access("/usr/lib/cordon/cordon/__init__.py", os.R_OK))
os.mkdir("/tmp/sub")
with open("/tmp/notes.txt") as src, open("/tmp/sub/moved.txt", "w") as dst:
    dst.write(src.read())
os.remove("/tmp/notes.txt")
print(sorted(os.listdir("/tmp/sub")), os.stat("/tmp/sub/moved.txt").st_size)
os.remove("/tmp/sub/moved.txt")
os.rmdir("/tmp/sub")
print("exists" if os.path.exists("/tmp/sub") else "gone")
