# What is not granted does not exist or is refused, with the errno a real OS gives.
from __future__ import print_function
import errno
import os

def attempt(what, action):
    try:
        action()
        print(what, "allowed")
    except (IOError, OSError) as e:
        print(what, errno.errorcode.get(e.errno, e.errno))

attempt("read /etc/passwd", lambda: open("/etc/passwd").read())
attempt("write /tmp without grant", lambda: open("/tmp/x", "w").write("x"))
attempt("create /evil", lambda: open("/evil", "w").write("x"))
attempt("mkdir /usr/x", lambda: os.mkdir("/usr/x"))
attempt("os.system", lambda: os.system("id"))
try:
    os.kill(1, 9)
except OSError as e:
    print("os.kill", type(e).__name__)
print("environ", sorted(k for k in os.environ if not k.startswith("PYTHON")))
