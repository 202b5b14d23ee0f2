"""Runs once in every fresh GraalPy context before the guest's code.

GraalPy denies processes, sockets, threads and signals by permission, but several of those
denials reach Python as internal host errors that guest code cannot catch. Here the entry
points are replaced, before any module that copies them is imported, with functions that
raise the exception a real operating system would (PermissionError for a forbidden process,
socket or signal; RuntimeError for a thread, as CPython does when none can be started) and
record the denial in the call's audit trail. The guest's identity, uname, environment and the
process calls it may not make come from the host's one definition of its world (cordon._world).
Code that reaches an original entry point some other way still gets no authority: the host turns
the internal error into a clean result.
"""

import sys


class Handles(object):
    """What the host keeps of a booted context: the functions it calls, by name."""
    __slots__ = ("describe", "flush_files", "join_threads", "start_call", "compile_guarded", "run_compiled",
                 "run_guarded", "preload")

    def __init__(self, **handles):
        for name, value in handles.items():
            setattr(self, name, value)


def install(bridge):
    import cordon
    from cordon import _world
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

    # The world: ids, uname, processors, environment, and process control refused.
    world = _world.parse(bridge.world())
    _world.apply(world, lambda name: permission_error("process", name, "process control"))
    import posix
    _say_exit_status(bridge, posix)
    _file_modes(posix)
    _blocking_mode(posix)
    _ownership(posix, world["uid"], world["gid"])
    # No fork ever happens, so fork hooks (threading registers one on import) have nothing to do.
    if hasattr(posix, "register_at_fork"):
        posix.register_at_fork = lambda **hooks: None
    try:
        import _posixsubprocess
        _posixsubprocess.fork_exec = permission_error("process", "fork_exec", "process creation")
    except ImportError:
        pass
    # GraalPy's multiprocessing starts a "process" as an inner context, which the sandbox's context may not
    # create: refused here as a process, where GraalPy failed internally and the interpreter was lost.
    try:
        import _multiprocessing_graalpy
        _multiprocessing_graalpy._spawn_context = permission_error("process", "spawn_context", "process creation")
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
        _socket.gethostname = lambda: world["hostname"]
    except ImportError:
        pass

    # Threads: as many at once as the call's limit (Limits.threads, 0 by default) says.
    _limit_threads(bridge, deny)
    import _thread
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

    _refuse_native_modules()
    from _cordon_graalpy import after_import
    after_import.install()
    _guard_builtins()
    _json_numbers_in_scanner()
    _warnings_past_cordon_frames()
    from _cordon_graalpy import guard
    guard.install(bridge.monotonic, bridge.sharedModule)
    return Handles(describe=describe, flush_files=_track_open_files(), join_threads=_join_threads,
                   start_call=_call_starter(cordon.__dict__, guard.set_limits), compile_guarded=guard.program,
                   run_compiled=guard.run_marshalled, run_guarded=guard.run, preload=_preload)




def _limit_threads(bridge, deny):
    """_thread's ways to start a thread ask the host for a place under the call's limit first, and the thread
    runs its work through the host (bridge.threadRun), which counts it and its CPU time while it runs."""
    import _thread

    def limited(original, name):
        def start(function, args=(), kwargs=None, *more, **options):
            refusal = bridge.threadStart()
            if refusal is not None:
                deny("thread", name)
                raise RuntimeError("can't start new thread: " + refusal)

            def run(*a, **kw):
                refusal = bridge.threadRun(lambda: function(*a, **kw))
                if refusal is not None:
                    raise RuntimeError("can't run the thread: " + refusal)

            try:
                return original(run, args, {} if kwargs is None else kwargs, *more, **options)
            except BaseException:
                bridge.threadAbort()
                raise
        start.__name__ = name
        start.__qualname__ = name
        start.__module__ = "_thread"
        return start

    for name in ("start_new_thread", "start_new", "start_joinable_thread"):
        original = getattr(_thread, name, None)
        if original is not None:
            setattr(_thread, name, limited(original, name))


def _join_threads():
    """Waits for the guest's threads that are not daemons, as CPython does before it exits."""
    threading = sys.modules.get("threading")
    if threading is None:
        return
    me = threading.current_thread()
    main = threading.main_thread()
    while True:
        waiting = [t for t in threading.enumerate()
                   if t is not me and t is not main and not t.daemon and not isinstance(t, threading._DummyThread)]
        if not waiting:
            return
        for t in waiting:
            t.join()


def _say_exit_status(bridge, posix):
    """os._exit tells the host its status before GraalPy's own ends the run.

    GraalPy's _exit ends the run with its status only on the thread that booted the context; on any other
    (a prepared context's call, a worker's) it stops the thread with an internal error that carries none.
    """
    real_exit = posix._exit

    def _exit(status):
        status = status.__index__() if not isinstance(status, int) and hasattr(status, "__index__") else status
        if not isinstance(status, int):
            raise TypeError("'%s' object cannot be interpreted as an integer" % type(status).__name__)
        if not -2 ** 31 <= status < 2 ** 31:
            raise OverflowError("Python int too large to convert to C int")
        bridge.exiting(status)
        real_exit(status)

    _exit.__module__ = "posix"
    posix._exit = _exit
    if "os" in sys.modules:
        sys.modules["os"]._exit = _exit


def _replace(posix, f, original):
    """Puts f in the place of posix's original (and os's, if os is already imported), under its name and doc."""
    f.__module__ = "posix"
    f.__doc__ = original.__doc__
    setattr(posix, original.__name__, f)
    if "os" in sys.modules:
        setattr(sys.modules["os"], original.__name__, f)


def _file_modes(posix):
    """os.umask returns the mask it replaces, and os.mkdir(path, mode) makes a directory of mode & ~umask, as
    on Linux. GraalPy's umask returns the new mask (so umask(0) could not read it back) and its mkdir ignores
    the mode (tempfile.mkdtemp's directory was 0o755, not 0o700); files it creates do get mode & ~umask."""
    make = posix.mkdir
    chmod = posix.chmod
    set_mask = posix.umask
    current = [0o022]   # GraalPy's, as a process's usual

    def umask(mask):
        set_mask(mask)
        previous = current[0]
        current[0] = mask & 0o777
        return previous

    def mkdir(path, mode=0o777, *, dir_fd=None):
        if dir_fd is not None:
            return make(path, mode, dir_fd=dir_fd)
        make(path, mode)
        bits = mode & ~current[0] & 0o7777
        if bits != 0o755:   # the mode GraalPy gave it
            chmod(path, bits)

    _replace(posix, umask, set_mask)
    _replace(posix, mkdir, make)


def _blocking_mode(posix):
    """os.set_blocking without the internal error GraalPy's raises for every descriptor, which cost the guest its
    interpreter: every descriptor in the sandbox is blocking, so asking for that is done at once, and asking for
    non-blocking I/O is an OSError (EOPNOTSUPP) the guest can catch. A bad descriptor is EBADF, as on Linux."""
    fstat = posix.fstat
    if not hasattr(posix, "set_blocking"):
        return

    def set_blocking(fd, blocking, /):
        fstat(fd)
        if not blocking:
            raise OSError(95, "Operation not supported: non-blocking I/O is not available in the sandbox")

    _replace(posix, set_blocking, posix.set_blocking)


def _ownership(posix, uid, gid):
    """os.chown, lchown and fchown as Linux answers an unprivileged user, and os.utime of a descriptor that is not a
    file or a directory: GraalPy fails internally on each ("fchownat is not supported"), which cost the guest its
    interpreter. The guest may give a file it can write its own ids (-1 keeps one), and -1 for both is no change
    at all; anything else is EPERM."""
    from _operator import index
    stat, lstat, fstat = posix.stat, posix.lstat, posix.fstat

    def owned(st, path, new_uid, new_gid):
        new_uid, new_gid = index(new_uid), index(new_gid)
        if new_uid == -1 and new_gid == -1:
            return
        if not st.st_mode & 0o200 or new_uid not in (-1, uid) or new_gid not in (-1, gid):
            raise PermissionError(1, "Operation not permitted", path)

    def chown(path, uid, gid, *, dir_fd=None, follow_symlinks=True):
        if isinstance(path, int):
            st = fstat(path)
        else:
            st = (stat if follow_symlinks else lstat)(path, dir_fd=dir_fd)
        owned(st, path, uid, gid)

    def lchown(path, uid, gid):
        owned(lstat(path), path, uid, gid)

    def fchown(fd, uid, gid):
        owned(fstat(fd), fd, uid, gid)

    original_utime = posix.utime

    def utime(path, times=None, *, ns=None, dir_fd=None, follow_symlinks=True):
        if isinstance(path, int) and not isinstance(path, bool):
            mode = fstat(path).st_mode & 0o170000
            if mode not in (0o100000, 0o040000):
                return None   # a pipe's or a device's times: nothing the sandbox keeps
        kwargs = {"dir_fd": dir_fd, "follow_symlinks": follow_symlinks}
        if ns is not None:
            kwargs["ns"] = ns
        return original_utime(path, times, **kwargs)

    for f in (chown, lchown, fchown, utime):
        if hasattr(posix, f.__name__):
            _replace(posix, f, getattr(posix, f.__name__))


# GraalPy's modules that are native code (C extensions in its home, or Java modules that call C through its
# native interface when used), which a sandbox without native access cannot run. Tried anyway, the first
# fails with an ImportError that names GraalPy's option, every later one with a SystemError, and crypt's
# import takes the whole interpreter down: refused here first, as CPython refuses a module it does not have.
# pyexpat, _bz2 and _sqlite3 are Cordon's own, on the JDK's XML parser, the host's bzip2 and SQLite in the host engine.
_NATIVE_MODULES = frozenset((
    "termios", "_cpython_sre", "_cpython_unicodedata", "_ctypes_test",
    "_testcapi", "_testbuffer", "_testmultiphase", "_testsinglephase", "_testinternalcapi", "crypt", "_crypt",
))


_OWN_MODULES = {"pyexpat": "_cordon_graalpy.pyexpat", "_bz2": "_cordon_graalpy.bz2", "_sqlite3": "_cordon_graalpy.sqlite"}


def _refuse_native_modules():
    """Puts first on sys.meta_path a finder that refuses the native modules as absent (ModuleNotFoundError,
    an ImportError), so that code written for CPython falls back as it does where they are missing."""
    class OwnModule(object):
        """Loads a module of Cordon's in place of GraalPy's native one of that name."""
        def __init__(self, module):
            self.module = module

        def create_module(self, spec):
            import importlib
            return importlib.import_module(self.module)

        def exec_module(self, module):
            pass

    class NativeModules(object):
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name in _OWN_MODULES:
                from importlib.machinery import ModuleSpec
                return ModuleSpec(name, OwnModule(_OWN_MODULES[name]))
            if name in _NATIVE_MODULES:
                raise ModuleNotFoundError("No module named %r: it is native code, which the sandbox does not run"
                                          % name, name=name)
            return None

        @staticmethod
        def invalidate_caches():
            pass

    sys.meta_path.insert(0, NativeModules)
    for name in _NATIVE_MODULES:
        sys.modules.pop(name, None)


def _call_starter(cordon_globals, set_limits):
    """The function the host calls before each call's code: its limits, and its own parameters.

    cordon.params is decoded on first use and kept as a global of the module; a session's next call
    must decode its own, so the cached one is dropped here. The module's dict is the one captured at
    boot, so rebinding sys.modules["cordon"] cannot make the host run guest code at this point.
    """
    def start_call(max_bytes, seconds, argv):
        set_limits(max_bytes, seconds)
        cordon_globals.pop("params", None)
        sys.argv = [str(a) for a in argv]

    return start_call


class _Unbound(object):
    """A function that a class does not bind to its instances, as it does not bind a builtin function: CPython's
    io.open is one, and code keeps it in a class (open = io.open) and calls self.open(path)."""
    __slots__ = ("__wrapped__",)

    def __init__(self, function):
        self.__wrapped__ = function

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)

    # What the class itself would answer first (a builtin's are its function's).
    __module__ = property(lambda self: self.__wrapped__.__module__)
    __doc__ = property(lambda self: self.__wrapped__.__doc__)

    def __repr__(self):
        return "<built-in function %s>" % self.__wrapped__.__name__

    def __reduce__(self):
        return self.__wrapped__.__qualname__


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
        if isinstance(mode, str) and "b" not in mode and len(args) < 2 and kwargs.get("encoding", "locale") in (
                None, "locale"):
            encoding = _locale_encoding()
            if encoding is not None:
                if args:
                    kwargs["buffering"] = args[0]
                    args = ()
                kwargs["encoding"] = encoding
        f = original(file, mode, *args, **kwargs)
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            files.append(f)
            if len(files) > bound[0]:
                files[:] = [g for g in files if not g.closed]
                bound[0] = max(64, 2 * len(files))
        return f

    open.__doc__ = original.__doc__
    open.__module__ = "io"
    open.__qualname__ = "open"
    open.__wrapped__ = original
    open = _Unbound(open)
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


def _locale_encoding():
    """What locale.getencoding() answers, without importing locale; or None, and the caller lets GraalPy ask it.

    A text file opened without an encoding asks GraalPy for the locale's, which it gets by importing locale, and
    that module brings re, enum, collections and functools: 0.1 s or more in a fresh context, where the open
    itself takes a millisecond. GraalPy's locale.getencoding() reads the environment (LC_ALL, LC_CTYPE, LANG,
    LANGUAGE, the first that is set) and normalises it through its alias tables; this answers only for the
    settings whose answer is known ("UTF-8" for C.UTF-8, the sandbox's own, and a few common ones; a test holds
    each to the real module's). Anything else, or once locale has been imported (it may have been changed), is
    left to the real module.
    """
    if "locale" in sys.modules:
        return None
    os = sys.modules.get("os")
    if os is None:
        import posix
    for name in ("LC_ALL", "LC_CTYPE", "LANG", "LANGUAGE"):
        # Before os is imported, posix's own mapping (bytes on POSIX).
        value = os.environ.get(name) if os is not None else posix.environ.get(name.encode(), posix.environ.get(name))
        if isinstance(value, bytes):
            value = value.decode("utf-8", "surrogateescape")
        if value:
            if name == "LANGUAGE":
                value = value.split(":")[0]
            return _KNOWN_ENCODINGS.get(value)
    return None


# Locale settings and what GraalPy's locale.getencoding() answers for them (StdlibInSandboxTest checks each).
_KNOWN_ENCODINGS = {name: "UTF-8" for name in ("C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8", "en_GB.UTF-8",
                                                "de_DE.UTF-8", "fr_FR.UTF-8")}


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
    # Still _json's scanner to whoever asks (CPython's test_json checks where the C scanner comes from).
    make_scanner.__module__ = "_json"
    make_scanner.__qualname__ = "make_scanner"
    _json.make_scanner = make_scanner


def _guard_builtins():
    """Answer in constant time the builtins that would otherwise run uninterruptibly over a range.

    GraalPy cannot cancel a builtin while it runs: sum(range(10**13)) would keep its thread for
    hours after the call's deadline. Over a range these have closed forms, so they are computed
    instead of iterated; every other argument goes to the original builtin.
    """
    import builtins
    # GraalPy's len() of a range stops at 2**31, so lengths and ends are computed.
    from _cordon_graalpy.guard import _range_length as length
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
        # As the builtin's: pickle names a function by its module and qualified name (pickle.dumps(min)).
        f.__qualname__ = f.__name__
        setattr(builtins, f.__name__, f)


def _warnings_past_cordon_frames():
    """warnings.warn's stacklevel counts the guest's frames only, as on CPython.

    Cordon's wrappers of builtins (exec, with which the import system runs a module's code, __import__,
    getattr...) are Python functions with frames of their own, where CPython's builtins have none: a module
    that warns at import with stacklevel=2 ("module 'sre_compile' is deprecated") named the guard's file as
    the place of the warning instead of the importing line. This warn finds the frame as CPython's does, with
    Cordon's library counted among the import system's internal frames, and hands the rest to GraalPy's own
    warn_explicit (filters, registries, once and module actions unchanged).
    """
    import warnings
    library = "/usr/lib/cordon/"
    warn_explicit = warnings.warn_explicit
    getframe = sys._getframe

    def hidden(frame, prefixes):
        name = frame.f_code.co_filename
        return name.startswith(prefixes) or ("importlib" in name and "_bootstrap" in name)

    def warn(message, category=None, stacklevel=1, source=None, *, skip_file_prefixes=()):
        if isinstance(message, Warning):
            category = message.__class__
        if category is None:
            category = UserWarning
        if not (isinstance(category, type) and issubclass(category, Warning)):
            raise TypeError("category must be a Warning subclass, not '%s'" % type(category).__name__)
        if not isinstance(skip_file_prefixes, tuple):
            raise TypeError("skip_file_prefixes must be a tuple of strs")
        if skip_file_prefixes:
            stacklevel = max(2, stacklevel)
        prefixes = skip_file_prefixes + (library,)
        frame = getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(library):
            frame = frame.f_back
        if stacklevel > 1 and frame is not None and not hidden(frame, ()):
            for _ in range(stacklevel - 1):
                frame = frame.f_back
                while frame is not None and hidden(frame, prefixes):
                    frame = frame.f_back
                if frame is None:
                    break
        elif frame is not None:
            for _ in range(stacklevel - 1):
                frame = frame.f_back
                if frame is None:
                    break
        if frame is None:
            globals, filename, lineno = sys.__dict__, "sys", 0
        else:
            globals, filename, lineno = frame.f_globals, frame.f_code.co_filename, frame.f_lineno
        module = globals.get("__name__", "<string>")
        registry = globals.setdefault("__warningregistry__", {})
        warn_explicit(message, category, filename, lineno, module, registry, globals, source)

    warn.__doc__ = warnings.warn.__doc__
    warn.__module__ = "warnings"
    warnings.warn = warn


def _preload(names):
    """Imports standard modules into a context prepared ahead of its call, before any guest code runs here, so
    that the call finds them loaded (Cordon.Builder.preloadModules). names: comma-separated. Returns one line
    per module that could not be loaded, with why; the host drops those names."""
    failed = []
    for name in names.split(","):
        if name.partition(".")[0] not in sys.stdlib_module_names:
            failed.append("%s: not a standard module" % name)
            continue
        try:
            __import__(name)
        except BaseException as e:
            failed.append("%s: %s: %s" % (name, type(e).__name__, str(e)[:200]))
    return "\n".join(failed)


def describe(exc, source=None, filename=None, guarded=None):
    """[type name, str(exc), traceback text] for an exception that escaped the guest's code
    (cordon._describe, the same on every backend)."""
    from cordon._describe import describe as describe_exception
    return describe_exception(type(exc), exc, exc.__traceback__, source, filename, guarded)
