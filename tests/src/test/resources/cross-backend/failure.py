# An exception that escapes is the result's error, with its type and message.
def divide(a, b):
    return a / b
print("before")
divide(1, 0)
