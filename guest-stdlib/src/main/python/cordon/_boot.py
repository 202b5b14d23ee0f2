"""Runs once in every fresh sandbox before the guest's code.

GraalPy denies processes, sockets, threads and signals by permission, but several of those
denials reach Python as internal host errors that guest code cannot catch. Here the entry
points are replaced, before any module that copies them is imported, with functions that
raise the exception a real operating system would (PermissionError for a forbidden process,
socket or signal; RuntimeError for a thread, as CPython does when none can be started) and
record the denial in the call's audit trail. Code that reaches an original entry point some
other way still gets no authority: the host turns the internal error into a clean result.
"""

import sys

# Tracebacks the host receives show at most this many frames, the innermost.
MAX_FRAMES = 100


def install(bridge):
    import cordon
    cordon._bridge = bridge

    def deny(category, action, target=""):
        bridge.deny(category, action, str(target)[:200])

    def permission_error(category, action, what):
        def refuse(*args, **kwargs):
            deny(category, action, args[0] if args else "")
            raise PermissionError(1, "Operation not permitted: %s is not available in the sandbox" % what)
        refuse.__name__ = action
        refuse.__qualname__ = action
        return refuse

    # Processes: os.system, os.kill, the exec and spawn families, subprocess (via _posixsubprocess).
    import posix
    for name in ("system", "kill", "killpg", "execv", "execve", "fork", "forkpty", "posix_spawn",
                 "posix_spawnp", "spawnv", "spawnve", "popen", "waitpid", "wait", "wait3", "wait4",
                 "setsid", "setpgid", "setuid", "setgid", "seteuid", "setegid", "nice", "pidfd_open"):
        if hasattr(posix, name):
            setattr(posix, name, permission_error("process", name, "process control"))
    # No fork ever happens, so fork hooks (threading registers one on import) have nothing to do.
    if hasattr(posix, "register_at_fork"):
        posix.register_at_fork = lambda **hooks: None
    # An empty environment: os.environ is built from posix.environ on first import of os.
    posix.environ.clear()
    # A virtual identity: the host's pid, user, kernel and processor count are none of the guest's business.
    identity = {"getpid": 2, "getppid": 1, "getuid": 1000, "geteuid": 1000, "getgid": 1000, "getegid": 1000,
                "getpgrp": 2, "getsid": 2, "getpgid": 2}
    for name, value in identity.items():
        if hasattr(posix, name):
            setattr(posix, name, (lambda v: lambda *args: v)(value))
    if hasattr(posix, "uname"):
        uname = posix.uname()
        fake = type(uname)(("Linux", "sandbox", "0", "#1 Cordon", uname.machine))
        posix.uname = lambda: fake
    if hasattr(posix, "cpu_count"):
        posix.cpu_count = lambda: 1
    if hasattr(posix, "sched_getaffinity"):
        posix.sched_getaffinity = lambda pid: {0}
    try:
        import _posixsubprocess
        _posixsubprocess.fork_exec = permission_error("process", "fork_exec", "process creation")
    except ImportError:
        pass

    # Network: no socket can be created and no name resolved.
    try:
        import _socket
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
                     "socketpair", "fromfd", "dup"):
            if hasattr(_socket, name):
                setattr(_socket, name, permission_error("network", name, "network access"))
        base = _socket.socket
        refuse_socket = permission_error("network", "socket", "network access")

        class socket(base):
            __slots__ = ()

            def __init__(self, *args, **kwargs):
                refuse_socket(*args, **kwargs)

        socket.__module__ = "_socket"
        _socket.socket = socket
        _socket.SocketType = socket
    except ImportError:
        pass

    # Threads: the guest runs on the single thread Cordon gives it.
    import _thread

    def no_thread(*args, **kwargs):
        deny("thread", "start_new_thread")
        raise RuntimeError("can't start new thread")

    for name in ("start_new_thread", "start_new", "start_joinable_thread"):
        if hasattr(_thread, name):
            setattr(_thread, name, no_thread)
    if hasattr(_thread, "interrupt_main"):
        _thread.interrupt_main = permission_error("signal", "interrupt_main", "signal delivery")

    # Signals and watchdogs that would need a host thread or a host signal.
    try:
        import _signal
        for name in ("signal", "alarm", "setitimer", "pthread_kill", "pthread_sigmask", "raise_signal",
                     "siginterrupt", "set_wakeup_fd"):
            if hasattr(_signal, name):
                setattr(_signal, name, permission_error("signal", name, "signal handling"))
    except ImportError:
        pass
    try:
        import faulthandler
        for name in ("dump_traceback_later", "register", "enable"):
            if hasattr(faulthandler, name):
                setattr(faulthandler, name, permission_error("signal", "faulthandler." + name,
                                                             "fault handling"))
    except ImportError:
        pass

    _guard_builtins()
    _json_numbers_in_scanner()
    from cordon import _guard
    _guard.install(bridge.monotonic)
    return [describe, _track_open_files(), _call_starter(cordon.__dict__, _guard.set_limits), _guard.program,
            _guard.run_marshalled, _guard.run]


def _call_starter(cordon_globals, set_limits):
    """The function the host calls before each call's code: its limits, and its own parameters.

    cordon.params is decoded on first use and kept as a global of the module; a session's next call
    must decode its own, so the cached one is dropped here. The module's dict is the one captured at
    boot, so rebinding sys.modules["cordon"] cannot make the host run guest code at this point.
    """
    def start_call(max_bytes, seconds):
        set_limits(max_bytes, seconds)
        cordon_globals.pop("params", None)

    return start_call


def _track_open_files():
    """Wrap open() so that the host can flush, after each call, the files the guest left open.

    CPython flushes a file when its object dies or the interpreter exits, so scripts that never close
    what they write (open(p, "w").write(s)) still save it; a GraalPy context that is closed drops such
    buffers. Returns the function the host calls when the guest's code has ended: it flushes without
    closing, so that files of a session stay usable in its next call.
    """
    import builtins
    import _io
    # Strong references: a file dropped unclosed must still be flushed, as CPython does when it dies.
    # Only files that can be written are kept, and closed ones are pruned as the list grows.
    files = []
    bound = [64]
    original = _io.open

    def open(file, mode="r", *args, **kwargs):
        f = original(file, mode, *args, **kwargs)
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            files.append(f)
            if len(files) > bound[0]:
                files[:] = [g for g in files if not g.closed]
                bound[0] = max(64, 2 * len(files))
        return f

    open.__doc__ = original.__doc__
    open.__module__ = "io"
    # io copies _io.open when it is first imported, so it is not imported here: io, abc and the pure-Python
    # ABCs they bring would be compiled anew in every context (GraalPy shares only the host's sources).
    builtins.open = _io.open = open
    if "io" in sys.modules:
        sys.modules["io"].open = open

    def flush_files():
        for f in files:
            try:
                if not f.closed:
                    f.flush()
            except BaseException:
                pass

    return flush_files


def _json_numbers_in_scanner():
    """Lets GraalPy's JSON scanner parse numbers itself when the decoder asks for plain floats and ints.

    The scanner (``_json.make_scanner``, Java code in GraalPy) parses a number in place only when
    its context's ``parse_float`` or ``parse_int`` is a float or an int *instance*; for the type,
    which is what ``json.loads`` passes, it calls ``float(text)`` or ``int(text)`` as Python calls
    from uncompiled code, once per number, three times slower in all. Handing it a context whose
    hooks are ``1.0`` and ``1`` where the decoder has ``float`` and ``int`` selects the in-place
    parse; a decoder with hooks of its own keeps them. Installed before ``json.scanner`` copies
    the constructor, so every decoder gets it.
    """
    try:
        import _json
    except ImportError:
        return
    scanner = _json.make_scanner

    class DefaultNumbers:
        __slots__ = ("strict", "object_hook", "object_pairs_hook", "parse_float", "parse_int",
                     "parse_constant")

        def __init__(self, context):
            self.strict = context.strict
            self.object_hook = context.object_hook
            self.object_pairs_hook = context.object_pairs_hook
            self.parse_constant = context.parse_constant
            self.parse_float = 1.0 if context.parse_float is float else context.parse_float
            self.parse_int = 1 if context.parse_int is int else context.parse_int

    def make_scanner(context):
        if context.parse_float is float or context.parse_int is int:
            context = DefaultNumbers(context)
        return scanner(context)

    make_scanner.__doc__ = scanner.__doc__
    _json.make_scanner = make_scanner


def _guard_builtins():
    """Answer in constant time the builtins that would otherwise run uninterruptibly over a range.

    GraalPy cannot cancel a builtin while it runs: sum(range(10**13)) would keep its thread for
    hours after the call's deadline. Over a range these have closed forms, so they are computed
    instead of iterated; every other argument goes to the original builtin.
    """
    import builtins
    # GraalPy's len() of a range stops at 2**31, so lengths and ends are computed.
    from cordon._guard import _range_length as length
    original_sum, original_min, original_max, original_all = builtins.sum, builtins.min, builtins.max, builtins.all

    def sum(iterable, /, start=0):
        if type(iterable) is range and type(start) is int:
            n = length(iterable)
            return start + n * iterable.start + iterable.step * n * (n - 1) // 2
        return original_sum(iterable, start)

    def min(*args, **kwargs):
        if len(args) == 1 and not kwargs and type(args[0]) is range and length(args[0]):
            r = args[0]
            return r.start if r.step > 0 else r.start + (length(r) - 1) * r.step
        return original_min(*args, **kwargs)

    def max(*args, **kwargs):
        if len(args) == 1 and not kwargs and type(args[0]) is range and length(args[0]):
            r = args[0]
            return r.start + (length(r) - 1) * r.step if r.step > 0 else r.start
        return original_max(*args, **kwargs)

    def all(iterable, /):
        if type(iterable) is range:
            r = iterable
            n = length(r)
            last = r.start + (n - 1) * r.step
            return not (n and (-r.start) % r.step == 0 and original_min(r.start, last) <= 0 <= original_max(r.start, last))
        return original_all(iterable)

    for f, original in ((sum, original_sum), (min, original_min), (max, original_max), (all, original_all)):
        f.__doc__ = original.__doc__
        f.__module__ = "builtins"
        setattr(builtins, f.__name__, f)


def describe(exc, source=None, filename=None, guarded=None):
    """[type name, str(exc), traceback text] for an exception that escaped the guest's code.

    The host calls this with the exception object, and the guest's source and its name so that
    the traceback can quote its lines; and, when the guard's text ran in the source's place
    (cordon/_guarded_text.py), that text: its lines have the source's numbers, but the columns of
    a line the guard changed are not the source's, so that line gets no column marks. Frames of this module are left out, so a refused
    os.system shows the guest's call and not Cordon's refusal function. Type names follow
    Python's traceback: qualified by module, except for builtins and __main__.
    """
    cls = type(exc)
    module = getattr(cls, "__module__", "builtins")
    name = cls.__qualname__ if module in ("builtins", "__main__") else "%s.%s" % (module, cls.__qualname__)
    try:
        message = str(exc)
    except BaseException:
        message = "<exception str() failed>"
    try:
        import linecache
        import traceback
        if source is not None and filename:
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        # A runaway recursion leaves thousands of frames; the innermost ones are what matter.
        depth = 0
        tb = exc.__traceback__
        while tb is not None:
            depth += 1
            tb = tb.tb_next
        from cordon import _guard
        frames = [f for f in traceback.extract_tb(exc.__traceback__, limit=-MAX_FRAMES)
                  if f.filename != __file__ and f.filename != _guard.__file__]
        if guarded is not None and source is not None:
            own, rewritten = source.split("\n"), guarded.split("\n")
            for f in frames:
                n = f.lineno
                if f.filename == filename and n and (n > len(own) or n > len(rewritten) or own[n - 1] != rewritten[n - 1]):
                    f.colno = f.end_colno = None
        text = "".join(traceback.format_list(frames))
        if depth > MAX_FRAMES:
            text = "  [%d earlier frames not shown]\n" % (depth - MAX_FRAMES) + text
        if text:
            text = "Traceback (most recent call last):\n" + text
        text += "".join(traceback.format_exception_only(cls, exc))
    except BaseException:
        text = "%s: %s\n" % (name, message) if message else name + "\n"
    return [name, message, text]
