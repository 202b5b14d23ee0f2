# Gives each visitor one of the owner's zoobars: at most once a minute per visitor, never to a visitor
# who has more than 20, and not when the owner has none left.
import json
import os
import time
import cordon
from cordon import gateway

STATE = "/tmp/granter.json"
owner = cordon.params["ZOOBAR_SELF"]
visitor = cordon.params["ZOOBAR_VISITOR"]
bank = gateway.connect("zoobar")

granted = {}
if os.path.exists(STATE):
    with open(STATE) as f:
        granted = json.load(f)

now = time.time()
if visitor == owner:
    print("This is your own granter, %s." % owner)
elif bank.call("get_user", owner)["zoobars"] < 1:
    print("Sorry, %s: %s has no zoobars left to give." % (visitor, owner))
elif bank.call("get_user", visitor)["zoobars"] > 20:
    print("Sorry, %s: you have more than 20 zoobars already." % visitor)
elif now - granted.get(visitor, 0) < 60:
    print("Sorry, %s: one zoobar a minute; come back in %d seconds." % (visitor, 60 - (now - granted[visitor])))
else:
    bank.call("xfer", visitor, 1)
    granted[visitor] = now
    with open(STATE + ".new", "w") as f:
        json.dump(granted, f)
    os.replace(STATE + ".new", STATE)
    print("%s gave you a zoobar, %s!" % (owner, visitor))
