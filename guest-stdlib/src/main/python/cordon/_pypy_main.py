"""The first code an external PyPy sandbox process runs: it links the cordon package to the host
through /dev/cordon/gateway, then runs the call's code as __main__ and reports how it ended.

The code comes from /dev/cordon/code; an exception that escapes it is reported to the host with
its type, message and traceback (guest frames only) and the process exits with status 1, as the
in-process backend reports it. Works on Python 2.7 and on Python 3.
"""

import sys


def _describe(exc_type, exc, tb, source, filename):
    name = exc_type.__name__
    module = getattr(exc_type, "__module__", "builtins")
    if module not in ("builtins", "exceptions", "__main__"):
        name = "%s.%s" % (module, name)
    try:
        message = str(exc)
    except BaseException:
        message = "<exception str() failed>"
    try:
        import linecache
        import traceback
        if source is not None:
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        frames = [f for f in traceback.extract_tb(tb) if f[0] != __file__ and not f[0].endswith("_pypy_main.py")]
        text = "".join(traceback.format_list(frames))
        if text:
            text = "Traceback (most recent call last):\n" + text
        text += "".join(traceback.format_exception_only(exc_type, exc))
    except BaseException:
        text = "%s: %s\n" % (name, message) if message else name + "\n"
    return name, message, text


PROCESS_CALLS = ("system", "kill", "killpg", "execv", "execve", "fork", "forkpty", "spawnv", "spawnve",
                 "popen", "popen2", "popen3", "popen4", "waitpid", "wait", "wait3", "wait4", "setsid",
                 "setpgid", "setuid", "setgid", "seteuid", "setegid", "nice")


def _deny_processes(bridge):
    """Process control fails as on the in-process backend: PermissionError, recorded in the audit trail.

    The controller refuses these calls with EPERM anyway; this makes the refusal the same exception
    everywhere (os.system would otherwise return -1 on some builds instead of raising).
    """
    import os
    import posix
    try:
        refused = PermissionError
    except NameError:  # Python 2.7
        from cordon.gateway import PermissionError as refused

    def make(name):
        def refuse(*args, **kwargs):
            bridge.deny("process", name, str(args[0])[:200] if args else "")
            raise refused(1, "Operation not permitted: process control is not available in the sandbox")
        refuse.__name__ = name
        return refuse

    for name in PROCESS_CALLS:
        for module in (posix, os):
            if hasattr(module, name):
                setattr(module, name, make(name))


def main():
    # The interpreter put this script's directory first; the package's parent is what belongs there.
    sys.path[0] = "/usr/lib/cordon"
    try:
        import struct
    except ImportError:
        # A build without the struct module cannot import json; a small one takes its place.
        sys.path.insert(1, "/usr/lib/cordon/pypy-compat")
    import cordon
    from cordon import _device
    bridge = _device.DeviceBridge()
    cordon._bridge = bridge
    cordon.params = cordon._json().loads(bridge.params())
    _deny_processes(bridge)
    filename = bridge.source_name()
    fd = open("/dev/cordon/code", "rb")
    try:
        source_bytes = fd.read()
    finally:
        fd.close()
    source = source_bytes.decode("utf-8")
    namespace = {"__name__": "__main__", "__builtins__": __builtins__, "__file__": filename}
    main_module = type(sys)("__main__")
    main_module.__dict__.update(namespace)
    sys.modules["__main__"] = main_module
    status = 0
    try:
        code = compile(source_bytes if sys.version_info[0] < 3 else source, filename, "exec")
        exec(code, main_module.__dict__)
    except SystemExit as e:
        code = e.code
        if code is None or code == 0:
            status = 0
        else:
            if not isinstance(code, int):
                sys.stderr.write("%s\n" % (code,))
                code = 1
            bridge.error("SystemExit", str(code), "SystemExit: %s\n" % (code,))
            status = 1
    except BaseException:
        exc_type, exc, tb = sys.exc_info()
        if issubclass(exc_type, MemoryError):
            # What the code kept is what filled the heap: let it go before describing the error.
            main_module.__dict__.clear()
            tb = None
        bridge.error(*_describe(exc_type, exc, tb, source, filename))
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    return status


if __name__ == "__main__":
    sys.exit(main())
