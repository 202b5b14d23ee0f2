# Counts each visitor's visits and remembers their last one, in the owner's private /tmp.
import json
import os
import time
import cordon

STATE = "/tmp/visit-tracker.json"
visitor = cordon.params["ZOOBAR_VISITOR"]

visits = {}
if os.path.exists(STATE):
    with open(STATE) as f:
        visits = json.load(f)

mine = visits.get(visitor, {"count": 0, "last": None})
if mine["last"] is None:
    print("Welcome, %s: this is your first visit." % visitor)
else:
    print("Welcome back, %s: this is visit number %d; your last visit was %s."
          % (visitor, mine["count"] + 1, mine["last"]))

mine["count"] += 1
mine["last"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
visits[visitor] = mine
with open(STATE + ".new", "w") as f:
    json.dump(visits, f)
os.replace(STATE + ".new", STATE)
