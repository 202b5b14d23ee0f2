package dev.cordon.tests.hostile;

import dev.cordon.Limits;
import dev.cordon.Status;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The hostile-code catalogue: each program with the exact outcome Cordon gives it. Limits are the suite's
 * ({@link #LIMITS}) unless a program names its own.
 */
public final class HostilePrograms {

    /**
     * Three seconds of wall time (a cold context importing pickle takes up to two on a loaded 2-core
     * machine), six of CPU (so that wall time decides), 1 GiB allocated (far more than a loop allocates in
     * three seconds, so that time decides for CPU programs), 64 KiB of output.
     */
    public static final Limits LIMITS = Limits.builder().wallTime(Duration.ofSeconds(3)).cpuTime(Duration.ofSeconds(6))
            .memoryBytes(1L << 30).outputBytes(64 << 10).build();

    /**
     * The memory programs' limits: 64 MiB kept alive and ten seconds, so that memory decides even for a set
     * grown one int at a time by an interpreter on a loaded machine (about 3 s to 64 MiB on this project's
     * 2-core machine with the JIT off).
     */
    public static final Limits MEMORY_LIMITS = Limits.builder().wallTime(Duration.ofSeconds(10))
            .cpuTime(Duration.ofSeconds(10)).memoryBytes(64L << 20).outputBytes(64 << 10).build();

    /**
     * @param name      category.what
     * @param code      the program
     * @param tmp       whether it is granted fs.tmp
     * @param limits    its limits
     * @param status    the status it must end with
     * @param errorType the error type it must end with (null for OK)
     */
    public record Program(String name, String code, boolean tmp, Limits limits, Status status, String errorType) {

        /**
         * Programs whose work GraalPy itself cannot interrupt once it has started: builtins that allocate
         * hundreds of megabytes or compute for minutes in one step, and a recursion that catches the
         * RecursionError GraalPy's cancellation provokes. Cordon's operation guard refuses the first kind
         * before they start and stops the second at its next exception handler; the PyPy backend's tests
         * run them too, each in a process of its own.
         */
        public boolean uncancellable() {
            return name.startsWith("mem.") || name.equals("cpu.sorted-with-key") || name.equals("cpu.nested-parentheses")
                    || name.equals("cpu.compile-bomb") || name.startsWith("cpu.recursion-retry");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Program> ALL = new ArrayList<>();

    private static void add(String name, Status status, String errorType, String code) {
        ALL.add(new Program(name, code, false, name.startsWith("mem.") ? MEMORY_LIMITS : LIMITS, status, errorType));
    }

    private static void recursionRetry(String name, String handler) {
        add(name, TIMEOUT, "TimeoutError", "def f(n):\n    try:\n        return f(n + 1)\n" + handler.indent(4) + "f(0)\n");
    }

    private static void addTmp(String name, Status status, String errorType, String code) {
        ALL.add(new Program(name, code, true, LIMITS, status, errorType));
    }

    private static final Status OK = Status.OK;
    private static final Status ERROR = Status.ERROR;
    private static final Status TIMEOUT = Status.TIMEOUT;
    private static final Status MEMORY = Status.MEMORY_LIMIT;
    private static final Status OUTPUT = Status.OUTPUT_LIMIT;

    static {
        // CPU: every loop ends at the deadline, whatever it catches.
        add("cpu.while-true", TIMEOUT, "TimeoutError", "while True: pass");
        add("cpu.swallow-everything", TIMEOUT, "TimeoutError", """
                while True:
                    try:
                        while True:
                            pass
                    except BaseException:
                        pass
                """);
        add("cpu.loop-in-finally", TIMEOUT, "TimeoutError", """
                try:
                    while True:
                        pass
                finally:
                    while True:
                        pass
                """);
        add("cpu.generator", TIMEOUT, "TimeoutError", """
                def forever():
                    while True:
                        yield 1
                for _ in forever():
                    pass
                """);
        // A recursion that catches the RecursionError GraalPy's cancellation provokes and recurses again, from a
        // handler that begins with a simple statement, with an if, and from a bare except.
        recursionRetry("cpu.recursion-retry", "except RecursionError:\n    return f(0)\n");
        recursionRetry("cpu.recursion-retry-if", "except RecursionError:\n    if n >= 0:\n        return f(0)\n");
        recursionRetry("cpu.recursion-retry-bare", "except:\n    for i in range(1):\n        return f(0)\n");
        add("cpu.regex-alternation", OK, null, "import re\nre.match(r'(a|aa)+$', 'a' * 5000 + 'b')");
        add("cpu.regex-backreference", TIMEOUT, "TimeoutError", "import re\nre.match(r'(a+)+\\1$', 'a' * 40 + 'b')");
        add("cpu.sleep", TIMEOUT, "TimeoutError", "import time\ntime.sleep(60)");
        add("cpu.exception-storm", TIMEOUT, "TimeoutError", """
                while True:
                    try:
                        raise ValueError('again')
                    except ValueError:
                        pass
                """);
        add("cpu.settrace", TIMEOUT, "TimeoutError", "import sys\nsys.settrace(lambda *a: None)\nwhile True: pass");
        add("cpu.finalizer-loop", TIMEOUT, "TimeoutError", """
                import gc
                class X:
                    def __del__(self):
                        while True:
                            pass
                x = X()
                del x
                gc.collect()
                while True:
                    pass
                """);
        add("cpu.sum-of-a-huge-range", OK, null, "print(sum(range(10**13)), all(range(1, 10**14)), max(range(10**15)))");
        add("cpu.sorted-with-key", MEMORY, "MemoryError", "sorted(range(3 * 10**7), key=lambda x: -x)");
        // Unbounded recursion ends in RecursionError when the 16 MiB guest stack is full: seconds in a cold
        // context, so these two get a deadline that the recursion always beats.
        Limits deep = Limits.builder().wallTime(Duration.ofSeconds(20)).memoryBytes(1L << 30).outputBytes(64 << 10).build();
        ALL.add(new Program("cpu.deep-recursion", "def f():\n    f()\nf()", false, deep, ERROR, "RecursionError"));
        ALL.add(new Program("cpu.raised-recursion-limit",
                "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)", false, deep,
                ERROR, "RecursionError"));
        add("cpu.nested-parentheses", ERROR, "SyntaxError", "eval('(' * 200000 + ')' * 200000)");
        add("cpu.compile-bomb", MEMORY, "MemoryError", "compile('1+' * 10**6 + '1', 's', 'eval')");
        ALL.add(new Program("cpu.cpu-time-limit", "while True: pass", false, Limits.builder()
                .wallTime(Duration.ofSeconds(5)).cpuTime(Duration.ofMillis(500)).memoryBytes(128L << 20).build(),
                Status.CPU_LIMIT, "CPULimitExceeded"));

        // Memory: allocation accounting stops growth; single huge allocations are refused before they start.
        add("mem.list-append", MEMORY, "MemoryError", "l = []\nwhile True: l.append('x' * 1000)");
        add("mem.list-repeat", MEMORY, "MemoryError", "[0] * 10**9");
        add("mem.dict-growth", MEMORY, "MemoryError", "d = {}\ni = 0\nwhile True:\n    d[i] = i\n    i += 1");
        add("mem.set-growth", MEMORY, "MemoryError", "s = set()\ni = 0\nwhile True:\n    s.add(i)\n    i += 1");
        add("mem.string-doubling", MEMORY, "MemoryError", "s = 'x'\nwhile True: s += s");
        add("mem.bytes-growth", MEMORY, "MemoryError", "b = b''\nwhile True: b += b'x' * 10**6");
        add("mem.bytearray-huge", MEMORY, "MemoryError", "bytearray(2**31 - 100)");
        add("mem.bigint-power", MEMORY, "MemoryError", "10 ** (10 ** 8)");
        add("mem.bigint-shift", MEMORY, "MemoryError", "1 << (10 ** 10)");
        add("mem.bigint-squaring", MEMORY, "MemoryError", "x = 7 ** (10 ** 5)\nwhile True: x = x * x");
        add("mem.nested-lists", MEMORY, "MemoryError", "l = []\nwhile True: l = [l, [0] * 1000]");
        add("mem.string-repeat-overflow", MEMORY, "MemoryError", "'a' * 10**10");
        add("mem.string-repeat-gigabyte", MEMORY, "MemoryError", "x = 'a' * 10**9");
        add("mem.join-huge", MEMORY, "MemoryError", "''.join(['x'] * 10**8)");
        add("mem.sorted-huge-range", MEMORY, "MemoryError", "sorted(range(10**8))");
        add("mem.tuple-of-huge-range", MEMORY, "MemoryError", "tuple(range(10**9))");
        add("mem.array-repeat", MEMORY, "MemoryError", "import array\narray.array('d', [0.0]) * 10**9");

        // Output: the caps end the call; swallowing the error changes nothing.
        add("out.stdout-flood", OUTPUT, "OutputLimitExceeded", "while True: print('x' * 100)");
        add("out.stderr-flood", OUTPUT, "OutputLimitExceeded", "import sys\nwhile True: sys.stderr.write('y' * 100)");
        add("out.one-huge-write", OUTPUT, "OutputLimitExceeded", "print('z' * 10**7)");
        add("out.swallow-write-errors", OUTPUT, "OutputLimitExceeded", """
                while True:
                    try:
                        print('x' * 1000, flush=True)
                    except BaseException:
                        pass
                """);
        ALL.add(new Program("out.result-too-large", "import cordon\ncordon.result('x' * 10**5)", false,
                Limits.builder().wallTime(Duration.ofSeconds(10)).outputBytes(64 << 10).responseBytes(64 << 10).build(), ERROR, "ValueError"));

        // Filesystem: quotas and the layout hold.
        addTmp("fs.many-files", ERROR, "OSError", "i = 0\nwhile True:\n    open('/tmp/f%d' % i, 'w').close()\n    i += 1");
        addTmp("fs.huge-file", ERROR, "OSError", "with open('/tmp/big', 'wb') as f:\n    while True: f.write(b'x' * 65536)");
        addTmp("fs.deep-directories", ERROR, "OSError", "import os\np = '/tmp'\nwhile True:\n    p += '/d'\n    os.mkdir(p)");
        addTmp("fs.swallow-quota-errors", TIMEOUT, "TimeoutError", """
                i = 0
                while True:
                    try:
                        with open('/tmp/g%d' % i, 'wb') as f:
                            f.write(b'x' * 100000)
                    except OSError:
                        pass
                    i += 1
                """);
        addTmp("fs.write-the-stdlib", ERROR, "PermissionError", "import os\nopen(os.__file__, 'a')");

        // Introspection: the way back to the host leads to the same refusals.
        add("intro.subclasses-to-os-system", ERROR, "PermissionError", """
                import os
                wrap = [c for c in object.__subclasses__() if c.__name__ == '_wrap_close'][0]
                wrap.__init__.__globals__['system']('id')
                """);
        add("intro.frames-to-builtins", ERROR, "PermissionError", """
                import sys
                f = sys._getframe()
                while f.f_back:
                    f = f.f_back
                f.f_globals['__builtins__'].__import__('posix').system('id')
                """);
        add("intro.gc-get-objects", ERROR, "AttributeError", """
                import gc
                names = {type(o).__module__ for o in gc.get_objects()}
                assert not [n for n in names if n and ('java' in n or 'polyglot' in n)], names
                """);
        add("intro.code-object-replace", ERROR, "SystemError", "(lambda: 0).__code__.replace(co_code=b'\\x00' * 8)()");
        add("intro.pickle-reduce", ERROR, "PermissionError", "import pickle\npickle.loads(b\"cos\\nsystem\\n(S'id'\\ntR.\")");
        add("intro.marshal-garbage", ERROR, "ValueError", "import marshal\nmarshal.loads(b'\\xe3' + b'\\x00' * 8)");
        add("intro.tamper-builtins", ERROR, "ZeroDivisionError", "import builtins\nbuiltins.__import__ = lambda *a, **k: 1 / 0\nimport os");
        add("intro.tamper-sys-modules", ERROR, "ModuleNotFoundError", "import sys\nsys.modules['cordon'] = None\nimport cordon");
        add("intro.mutate-int", ERROR, "TypeError", "int.__add__ = None");
        add("intro.ctypes", ERROR, "ImportError", "import ctypes");
        add("intro.reload-posix", ERROR, "PermissionError", """
                importer = [c for c in object.__subclasses__() if c.__name__ == 'BuiltinImporter'][0]
                importer.load_module('posix').system('id')
                """);

        // GraalPy's own ways out.
        add("graal.java-type", ERROR, "KeyError", "import java\njava.type('java.lang.Runtime')");
        add("graal.polyglot-eval", ERROR, "RuntimeError", "import polyglot\npolyglot.eval(language='js', string='1')");
        add("graal.polyglot-import", ERROR, "NotImplementedError", "import polyglot\npolyglot.import_value('x')");
        add("graal.read-file", ERROR, "FileNotFoundError", "__graalpython__.read_file('/etc/passwd')");
        add("graal.bridge-getclass", ERROR, "AttributeError", "import cordon\ncordon._bridge.getClass()");
        add("graal.bridge-method-getclass", ERROR, "AttributeError", "import cordon\ncordon._bridge.params.getClass()");
        add("graal.home-traversal", ERROR, "FileNotFoundError", "open(__graalpython__.home + '/..' * 12 + '/etc/passwd')");

        // Leaks: nothing of the host shows.
        add("leak.environment", OK, null, "import os\nassert dict(os.environ) == {'HOME': '/tmp', 'USER': 'sandbox',"
                + " 'LOGNAME': 'sandbox', 'LANG': 'C.UTF-8', 'PATH': '/usr/local/bin:/usr/bin:/bin'}, os.environ");
        add("leak.identity", OK, null, """
                import os, platform
                assert (os.getpid(), os.getppid(), os.getuid(), os.cpu_count()) == (2, 1, 1000, 1)
                assert platform.node() == 'sandbox' and os.uname().release == '0'
                """);
        add("leak.paths", OK, null, """
                import os, sys, json
                seen = [os.__file__, json.__file__, sys.executable, sys.prefix, sys.exec_prefix, os.getcwd()] + sys.path
                assert all(p == '' or p.startswith('/usr/lib/') or p == '/' for p in seen), seen
                """);
        add("leak.traceback", ERROR, "json.decoder.JSONDecodeError", "import json\njson.loads('{')");
    }

    private HostilePrograms() {
    }

    public static List<Program> all() {
        return List.copyOf(ALL);
    }

    /** The programs of {@link Program#uncancellable()}. */
    public static List<Program> uncancellable() {
        return ALL.stream().filter(Program::uncancellable).toList();
    }

    public static Program named(String name) {
        return ALL.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }
}
