# Parameters in, a JSON result out.
import cordon
name = cordon.params["name"]
cordon.result({"greeting": "hi " + name, "sizes": [len(name), 2]})
print("done")
