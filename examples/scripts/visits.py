# Counts how often the calling principal ran this script, in its private, persistent /tmp.
# Run it with the fs.tmp grant:  ./cordon run --grant fs.tmp --principal alice examples/scripts/visits.py
# It runs unchanged on the PyPy sandbox backend (Python 2.7): add --backend pypy --pypy-sandbox PATH.
import json
import os

import cordon

PATH = "/tmp/visits.json"

state = {"visits": 0}
if os.path.exists(PATH):
    with open(PATH) as f:
        state = json.load(f)
state["visits"] += 1

with open(PATH, "w") as f:
    json.dump(state, f)

print("visit number %d" % state["visits"])
cordon.result(state)
