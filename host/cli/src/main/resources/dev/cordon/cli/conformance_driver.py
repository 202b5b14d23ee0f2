# Runs one of CPython's test modules with unittest and prints each test's outcome as JSON on a line of its own
# after a marker, and each test's id as it starts, so that the host knows which test a run that never finished
# was in. The same text runs in Cordon and in the plain GraalPy reference; the host substitutes the three names
# below. SKIP_IDS are the tests an earlier run of the module reported, or never came back from: a run resumed
# after a test that hung or took its interpreter down leaves them out.
import sys, time, json, unittest

sys.path.append(TESTS_PARENT)
NAME = MODULE_NAME
SKIP = frozenset(SKIP_IDS)
outcomes = {}


def last_line(result, err, test):
    text = result._exc_info_to_string(err, test).strip().splitlines()
    return text[-1][:300] if text else ""


class Recorder(unittest.TestResult):
    def startTest(self, test):
        super().startTest(test)
        print("\n@@CONFORMANCE-START@@ " + json.dumps(test.id()), flush=True)

    def stopTest(self, test):
        # Each outcome as it comes, so that a module stopped at its time limit still tells what it ran.
        super().stopTest(test)
        name = test.id() if hasattr(test, "id") else str(test)
        if name in outcomes:
            print("\n@@CONFORMANCE-TEST@@ " + json.dumps([name, outcomes[name], time.monotonic() - start]), flush=True)

    def addSuccess(self, test):
        outcomes.setdefault(test.id(), "pass")

    def addFailure(self, test, err):
        outcomes[test.id()] = "fail: " + last_line(self, err, test)

    def addError(self, test, err):
        name = test.id() if hasattr(test, "id") else str(test)
        outcomes[name] = "error: " + last_line(self, err, test)

    def addSkip(self, test, reason):
        outcomes[test.id()] = "skip: " + str(reason)[:200]

    def addExpectedFailure(self, test, err):
        outcomes[test.id()] = "pass"

    def addUnexpectedSuccess(self, test):
        outcomes[test.id()] = "fail: unexpected success"

    def addSubTest(self, test, subtest, err):
        if err is not None:
            outcomes[test.id()] = "fail: in a subtest: " + last_line(self, err, test)


def leave_out(suite):
    # In place, so that suites of their own classes (load_tests) keep what they do.
    kept = []
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            leave_out(test)
            kept.append(test)
        elif test.id() not in SKIP:
            kept.append(test)
    suite._tests = kept


start = time.monotonic()
loaded = None
try:
    suite = unittest.defaultTestLoader.loadTestsFromName("test." + NAME)
    loaded = time.monotonic() - start
    if SKIP:
        leave_out(suite)
    suite.run(Recorder())
except BaseException as e:
    outcomes["<load>"] = "error: %s: %s" % (type(e).__name__, str(e)[:300])
sys.stdout.flush()
print("\n@@CONFORMANCE@@ " + json.dumps({"module": NAME, "seconds": time.monotonic() - start,
                                         "load_seconds": loaded, "outcomes": outcomes}), flush=True)
