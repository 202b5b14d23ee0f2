"""The guest's virtual POSIX world, applied to the interpreter at start-up on every backend.

The host defines the world once (its GuestWorld) and hands it over as text, one "key=value" per
line; parse() reads it and apply() makes posix, os and pwd answer from it: the process and user
ids, the user's entry (its name, home and shell), uname, the processor count, the environment, and
PermissionError for each process-level call. The grp module of the guest stdlib answers for the
group. Works on Python 2.7 and on Python 3, before any module that copies these functions is imported.
"""

_INTS = ("pid", "ppid", "uid", "gid", "cpu_count")


def parse(text):
    """The world as a dict: ints for the ids and the count, lists for uname and the process calls,
    a dict for the environment."""
    world = {"environment": {}, "uname": [], "process_calls": []}
    if str is bytes and not isinstance(text, str):
        # Python 2 reads the bridge's JSON as unicode; its environment, names and uname are byte strings.
        text = text.encode("utf-8")
    for line in text.split("\n"):
        if not line:
            continue
        key, _, value = line.partition("=")
        if key == "environment":
            name, _, setting = value.partition("=")
            world["environment"][name] = setting
        elif key in ("uname", "process_calls"):
            world[key].append(value)
        elif key in _INTS:
            world[key] = int(value)
        else:
            world[key] = value
    return world


def apply(world, refuse):
    """Makes posix (and os, if already imported) answer from the world.

    refuse(name) returns the function that takes the place of a process-level call: it records the
    denial and raises PermissionError.
    """
    import sys
    import posix
    modules = [posix]
    if "os" in sys.modules:
        modules.append(sys.modules["os"])

    def constant(value):
        return lambda *args: value

    pid = world["pid"]
    ids = {"getpid": pid, "getppid": world["ppid"], "getpgrp": pid, "getsid": pid, "getpgid": pid,
           "getuid": world["uid"], "geteuid": world["uid"], "getgid": world["gid"], "getegid": world["gid"]}
    uname_type = getattr(posix, "uname_result", None)
    uname = tuple(world["uname"])
    if uname_type is not None:
        uname = uname_type(uname)
    cpus = world["cpu_count"]
    for module in modules:
        # Set even where the interpreter lacks one (GraalPy has no geteuid): CPython on Linux has them all.
        for name, value in ids.items():
            setattr(module, name, constant(value))
        if hasattr(module, "uname"):
            module.uname = constant(uname)
        if hasattr(module, "cpu_count"):
            module.cpu_count = constant(cpus)
        if hasattr(module, "sched_getaffinity"):
            module.sched_getaffinity = constant(set(range(cpus)))
        for name in world["process_calls"]:
            if hasattr(module, name):
                setattr(module, name, refuse(name))
    _apply_pwd(world)
    # os.environ is built from posix.environ when os is first imported; if os is already there, its
    # mapping's store is set directly (setting items would call putenv, which the host may refuse).
    _set(posix.environ, world["environment"])
    if "os" in sys.modules:
        environ = sys.modules["os"].environ
        store = getattr(environ, "_data", None)
        if store is None:
            store = getattr(environ, "data", None)
        if store is not None:
            _set(store, world["environment"])


def _apply_pwd(world):
    """pwd answers for the guest's user, and for no one else (KeyError, as CPython for an unknown user)."""
    try:
        import pwd
    except ImportError:
        return
    entry = (world["user"], "x", world["uid"], world["gid"], world["user"], world["home"], world["shell"])
    struct = getattr(pwd, "struct_passwd", None)
    if struct is not None:
        entry = struct(entry)

    def getpwuid(uid):
        if uid != world["uid"]:
            raise KeyError("getpwuid(): uid not found: %s" % (uid,))
        return entry

    def getpwnam(name):
        if name != world["user"]:
            raise KeyError("getpwnam(): name not found: %r" % (name,))
        return entry

    def getpwall():
        return [entry]

    for f in (getpwuid, getpwnam, getpwall):
        f.__module__ = "pwd"
        setattr(pwd, f.__name__, f)


def _set(store, environment):
    import sys
    store.clear()
    for name, value in environment.items():
        if sys.version_info[0] >= 3:
            store[name.encode("utf-8")] = value.encode("utf-8")
        else:
            store[name] = value
