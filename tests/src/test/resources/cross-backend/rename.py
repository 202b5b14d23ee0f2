# Renaming in /tmp. PyPy's legacy 7.3 builds cannot sandbox rename() at all: the interpreter's stub raises an
# empty RuntimeError without asking the controller, which Cordon's PyPy start-up turns into OSError(ENOSYS) naming it.
import os
with open("/tmp/a.txt", "w") as f:
    f.write("a")
os.rename("/tmp/a.txt", "/tmp/b.txt")
print(os.listdir("/tmp"))
