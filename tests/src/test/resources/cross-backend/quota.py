# The principal's /tmp has a quota (1 MiB in these tests): past it, a write fails with EDQUOT and the
# file is rolled back (this open created it, so it is removed): no half-written file is left.
from __future__ import print_function
import errno
import os
written = 0
try:
    with open("/tmp/big", "wb") as f:
        for _ in range(64):
            f.write(b"x" * 65536)
            f.flush()
            written += 65536
except (IOError, OSError) as e:
    print(errno.errorcode.get(e.errno, e.errno), written >= 512 * 1024)
print(os.path.exists("/tmp/big"))
with open("/tmp/small", "w") as f:
    f.write("still fits")
print(open("/tmp/small").read())
