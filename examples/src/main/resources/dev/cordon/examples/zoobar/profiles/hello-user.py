# Greets whoever views the profile, and tells the time.
import time
import cordon

visitor = cordon.params["ZOOBAR_VISITOR"]
print("Hello, %s!" % visitor)
print("The time is %s." % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
