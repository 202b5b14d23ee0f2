"""The first code an external PyPy sandbox process runs: it links the cordon package to the host
through /dev/cordon/gateway, then runs the call's code as __main__ and reports how it ended.

The code comes from /dev/cordon/code; an exception that escapes it is reported to the host with
its type, message and traceback (guest frames only) and the process exits with status 1, as the
in-process backend reports it. Works on Python 2.7 and on Python 3.
"""

import sys


def _apply_world(bridge):
    """The guest's world, as on every backend (cordon._world): ids, uname, environment, and process
    control refused with PermissionError, recorded in the audit trail.

    The controller refuses the system calls behind process control with EPERM anyway; this makes
    the refusal the same exception everywhere (os.system would otherwise return -1 on some builds).
    """
    from cordon import _world
    try:
        refused = PermissionError
    except NameError:  # Python 2.7
        from cordon.gateway import PermissionError as refused

    def refuse(name):
        def call(*args, **kwargs):
            bridge.deny("process", name, str(args[0])[:200] if args else "")
            raise refused(1, "Operation not permitted: process control is not available in the sandbox")
        call.__name__ = str(name)
        return call

    import os  # imported first, so that its copies of the calls are replaced too
    _world.apply(_world.parse(bridge.world()), refuse)


# Calls that a PyPy 2.7 release build may translate, for some argument types or for all of them, as stubs
# ("Cannot sandbox function 'll_os.ll_os_rename'" at translation): such a stub raises a RuntimeError with no
# message. os.rename and os.symlink are stubs for every argument in the 7.3 releases.
_STUBBED = ("access", "chdir", "chmod", "chown", "lchown", "listdir", "lstat", "mkdir", "mkfifo", "mknod",
            "open", "rename", "rmdir", "stat", "statvfs", "fstatvfs", "symlink", "unlink", "remove", "utime")


def _name_stubs(bridge):
    """A stub's empty RuntimeError becomes OSError(ENOSYS) naming the call and the build's limit."""
    import errno
    import os
    import posix

    def named(name, original):
        def call(*args, **kwargs):
            try:
                return original(*args, **kwargs)
            except RuntimeError as e:
                if str(e):
                    raise
                bridge.deny("fs", name, str(args[0])[:200] if args else "")
                raise OSError(errno.ENOSYS, "Function not implemented: os.%s is not available in this PyPy "
                                            "sandbox build (its translation made it a stub)" % name)
        call.__name__ = str(name)
        return call

    for name in _STUBBED:
        for module in (posix, os):
            original = getattr(module, name, None)
            if original is not None and not getattr(original, "_cordon_named", False):
                wrapped = named(name, original)
                wrapped._cordon_named = True
                setattr(module, name, wrapped)


def main():
    # The interpreter put this script's directory first; the package's parent is what belongs there.
    sys.path[0] = "/usr/lib/cordon"
    try:
        import struct
    except ImportError:
        # A build without the struct module cannot import json; a small one takes its place.
        sys.path.insert(1, "/usr/lib/cordon/_cordon_pypy/compat")
    import cordon
    from cordon._describe import describe
    from _cordon_pypy import device
    bridge = device.DeviceBridge()
    cordon._bridge = bridge
    cordon.params = cordon._json().loads(bridge.params())
    _apply_world(bridge)
    _name_stubs(bridge)
    filename = bridge.source_name()
    sys.argv = list(cordon._json().loads(bridge.argv()))
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
        bridge.error(*describe(exc_type, exc, tb, source, filename))
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    return status


if __name__ == "__main__":
    sys.exit(main())
