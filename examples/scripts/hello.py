# The smallest Cordon script: runs in a fresh sandbox, sees only the standard library.
import sys

import cordon

name = cordon.params.get("name", "world")
print("Hello, %s, from sandboxed Python %d.%d!" % (name, sys.version_info[0], sys.version_info[1]))
cordon.result({"greeted": name})
