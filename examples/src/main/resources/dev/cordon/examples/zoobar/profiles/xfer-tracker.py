# Shows the last transfer between the profile's owner and its visitor, in either direction.
import cordon
from cordon import gateway

owner = cordon.params["ZOOBAR_SELF"]
visitor = cordon.params["ZOOBAR_VISITOR"]
bank = gateway.connect("zoobar")

between = [t for t in bank.call("get_xfers", owner)
           if {t["sender"], t["recipient"]} == {owner, visitor}]
if not between:
    print("%s and %s have never traded zoobars." % (owner, visitor))
else:
    t = between[-1]
    print("The last transfer between %s and %s: %s gave %s %d zoobar%s on %s at %s."
          % (owner, visitor, t["sender"], t["recipient"], t["amount"], "" if t["amount"] == 1 else "s",
             t["time"][:10], t["time"][11:19] + " UTC"))
