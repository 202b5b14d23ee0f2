# What a worker runs a few times before it says it is ready: the everyday work of guest programs (a context's
# boot, the guarded compile of a program, loops, products, strings, exceptions, a few common imports), so that
# the JVM has compiled GraalPy's interpreter before the first caller's program arrives.
import json
import re

from cordon import gateway  # noqa: F401 (imported as a program using a service does)


def squares(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __repr__(self):
        return 'Point(%d, %d)' % (self.x, self.y)


words = [w.upper() for w in 'the quick brown fox jumps over the lazy dog'.split()]
table = {w: len(w) for w in words}
try:
    {}['missing']
except KeyError as e:
    missing = str(e)
text = json.dumps({'squares': squares(2000), 'points': [repr(Point(i, i * 2)) for i in range(50)], 'table': table})
found = re.findall(r'\d+', text)
print(len(text), len(found), sorted(table.items())[:2], f'{3.14159:.2f}', missing)
