# A loop that never ends: stopped at the wall-time limit.
while True:
    pass
