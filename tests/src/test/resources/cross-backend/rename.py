# Renaming in /tmp. PyPy's legacy 7.3 builds cannot sandbox rename() at all: the interpreter raises
# RuntimeError itself, without asking the controller.
import os
with open("/tmp/a.txt", "w") as f:
    f.write("a")
os.rename("/tmp/a.txt", "/tmp/b.txt")
print(os.listdir("/tmp"))
