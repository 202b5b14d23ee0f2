# Counts how often the calling principal ran this script, in its private, persistent /tmp.
# Run it with the fs.tmp grant:  ./cordon run --grant fs.tmp --principal alice examples/scripts/visits.py
import json
import os

import cordon

PATH = "/tmp/visits.json"

state = {"visits": 0}
if os.path.exists(PATH):
    with open(PATH) as f:
        state = json.load(f)
state["visits"] += 1

# Write a new file and rename it over the old one: a reader never sees half a file.
with open(PATH + ".new", "w") as f:
    json.dump(state, f)
os.replace(PATH + ".new", PATH)

print("visit number %d" % state["visits"])
cordon.result(state)
