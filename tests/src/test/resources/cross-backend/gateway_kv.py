# A host service reached only through a gateway token; an ungranted one is refused.
from __future__ import print_function
from cordon import gateway
kv = gateway.connect("kv")
kv.call("set", "greeting", "hello from the guest")
print(kv.call("get", "greeting"))
print(gateway.attach(kv.token).service)
try:
    gateway.connect("db")
except Exception as e:
    print(type(e).__name__)
try:
    gateway.attach("forged-token")
except Exception as e:
    print(type(e).__name__)
