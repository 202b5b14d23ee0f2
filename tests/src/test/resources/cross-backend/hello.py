# Both backends, Python 2.7 and 3: output, arithmetic, a module of the standard library.
from __future__ import print_function
import math
print("hello", 6 * 7, math.sqrt(16.0))
