# sys.exit with a non-zero status is an error; its status is the message.
import sys
print("leaving")
sys.exit(3)
