# The call's stdin.
import sys
data = sys.stdin.read()
print(data.upper().strip())
