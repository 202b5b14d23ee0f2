# Every interpreter reports the same virtual identity: the host's one definition of the guest's world.
from __future__ import print_function
import os
print("ids", os.getpid(), os.getppid(), os.getuid(), os.geteuid(), os.getgid(), os.getegid())
print("uname", "|".join(os.uname()))
print("cwd", os.getcwd())
