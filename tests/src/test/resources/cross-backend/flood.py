# More output than the limit allows.
import sys
while True:
    sys.stdout.write("x" * 4096)
