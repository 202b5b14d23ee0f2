# Shows the last three visitors, this one included, with the time of their visit.
import json
import os
import time
import cordon

STATE = "/tmp/last-visits.json"
visitor = cordon.params["ZOOBAR_VISITOR"]

recent = []
if os.path.exists(STATE):
    with open(STATE) as f:
        recent = json.load(f)
recent.append({"visitor": visitor, "time": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())})
recent = recent[-3:]
with open(STATE + ".new", "w") as f:
    json.dump(recent, f)
os.replace(STATE + ".new", STATE)

print("Last visitors:")
for v in reversed(recent):
    print("  %s at %s" % (v["visitor"], v["time"]))
