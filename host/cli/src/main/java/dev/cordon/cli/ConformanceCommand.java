package dev.cordon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Isolation;
import dev.cordon.Limits;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.Access;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.PolyglotException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code cordon conformance}: CPython's own unit tests for standard modules, run in Cordon and, in the same run,
 * in a plain GraalPy context with full access (native code aside) as the reference; every test that passes on the reference but not
 * in Cordon must be listed, with its reason, in the expected-differences file.
 */
@Command(name = "conformance", description = {
        "Run CPython's unit tests for standard modules in Cordon and in a plain GraalPy context, and print per",
        "module the tests, those passing on the reference and in Cordon, and Cordon's time against the reference's.",
        "Exits 1 if a test passes on the reference but not in Cordon without an entry in --expected."})
final class ConformanceCommand implements Callable<Integer> {

    /** The modules of the conformance set: each runs {@code test.test_<name>}. */
    static final List<String> MODULES = List.of("json", "re", "string", "math", "fractions", "decimal", "textwrap",
            "collections", "itertools", "functools", "statistics", "heapq", "bisect", "datetime", "zoneinfo",
            "difflib", "base64", "csv", "enum", "dataclasses", "operator", "copy", "struct", "hashlib", "random",
            "pprint", "unicodedata", "html", "ipaddress", "uuid", "calendar", "zlib", "lzma", "tarfile", "zipfile",
            "binascii", "array", "bytes", "dict", "list", "set", "int", "float", "complex", "tuple", "typing",
            "contextlib", "abc", "shlex", "fnmatch", "argparse", "tempfile", "pathlib", "glob", "shutil",
            "xml_etree", "sqlite3", "asyncio", "pickle", "io", "os", "bz2", "stringprep", "codecs");

    private static final String MARKER = "@@CONFORMANCE@@ ";
    private static final String TEST_MARKER = "@@CONFORMANCE-TEST@@ ";
    private static final String START_MARKER = "@@CONFORMANCE-START@@ ";
    /** Runs of one module on one side: the first, and a resumption after each test that never came back. */
    static final int MAX_RUNS = 4;
    private static final String MOUNT = "/opt/cpython/test";

    @Option(names = "--tests", paramLabel = "DIR", description = "CPython's Lib/test (default: $CORDON_CPYTHON_TESTS,"
            + " else a CPython 3.12 found under ~/.pyenv or /usr/lib, else Debian's python3.11 test suite).")
    Path tests;

    @Option(names = "--modules", split = ",", paramLabel = "NAME", description = "Modules to test, without"
            + " test_ (default: the conformance set of 64).")
    List<String> modules;

    @Option(names = "--expected", paramLabel = "FILE", description = "The expected differences: lines of a test id (or a"
            + " prefix ending in *) and the reason; # starts a comment.")
    Path expected;

    @Option(names = "--isolation", paramLabel = "MODE", description = "in-process (default) or process.")
    String isolation;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Per module and side (default: 10m).",
            defaultValue = "10m")
    String timeout;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = tests != null ? tests : findTests();
        if (dir == null || !Files.isRegularFile(dir.resolve("__init__.py"))) {
            throw new IllegalArgumentException("no CPython test suite found: give --tests DIR (a Lib/test with"
                    + " __init__.py), set CORDON_CPYTHON_TESTS, or install Debian's libpython3.11-testsuite");
        }
        Duration limit = Limits.builder().parse("wallTime", timeout).build().wallTime();
        Map<String, String> reasons = expected != null ? readExpected(expected) : Map.of();
        List<String> names = modules != null && !modules.isEmpty() ? modules : MODULES;
        String driver = driver();
        Path work = Files.createTempDirectory("cordon-conformance");
        List<String> unexpected = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        long refPassed = 0;
        long bothPassed = 0;
        double refSeconds = 0;
        double cordonSeconds = 0;
        double refLoading = 0;
        double cordonLoading = 0;
        Isolation mode = isolation != null ? Isolation.parse(isolation)
                : Isolation.fromEnvironment(System.getenv(), Isolation.IN_PROCESS);
        out.println("CPython tests: " + dir.toAbsolutePath() + "; Cordon's isolation: " + mode.text());
        out.println();
        out.println("| module | tests | reference | Cordon | reference's s (loading) | Cordon's s (loading)"
                + " | Cordon's time / reference's |");
        out.println("| --- | --- | --- | --- | --- | --- | --- |");
        Engine engine = Engine.newBuilder("python").option("engine.WarnInterpreterOnly", "false")
                .out(OutputStream.nullOutputStream()).err(OutputStream.nullOutputStream()).build();
        // The reference's engine is not closed: a context still closing in the background would hold its close.
        try (Cordon cordon = Cordon.builder().mount(MOUNT, dir, Access.READ_ONLY).dataDir(work.resolve("data"))
                     .isolation(mode)
                     .build()) {
            for (String name : names) {
                String module = "test_" + name;
                Run ref = resuming(skip -> reference(engine, driver(driver, dir.getParent().toString(), module, skip),
                        work.resolve("reference"), limit));
                Run box = resuming(skip -> inCordon(cordon, driver(driver, "/opt/cpython", module, skip), limit));
                long refPass = ref.passed();
                long both = ref.outcomes.entrySet().stream()
                        .filter(e -> e.getValue().equals("pass") && "pass".equals(box.outcomes.get(e.getKey()))).count();
                refPassed += refPass;
                bothPassed += both;
                refSeconds += ref.seconds;
                cordonSeconds += box.seconds;
                refLoading += ref.loadSeconds;
                cordonLoading += box.loadSeconds;
                out.printf("| %s | %d | %d | %d | %.1f (%.1f) | %.1f (%.1f) | %s |%n", module, ref.outcomes.size(),
                        refPass, box.passed(), ref.seconds, ref.loadSeconds, box.seconds, box.loadSeconds,
                        ref.seconds > 0 ? String.format("%.2f", box.seconds / ref.seconds) : "-");
                ref.problems().forEach(p -> problems.add(module + " on the reference: " + p));
                box.problems().forEach(p -> problems.add(module + " in Cordon: " + p));
                new TreeMap<>(ref.outcomes).forEach((id, outcome) -> {
                    String mine = box.outcomes.getOrDefault(id, box.problem != null ? "error: " + box.problem : "not run");
                    if (outcome.equals("pass") && !mine.equals("pass") && reason(reasons, id) == null) {
                        unexpected.add(id + ": " + mine);
                    }
                });
            }
        }
        out.println();
        out.printf("Passing on the reference: %d; also in Cordon: %d (%.1f%%). Time: Cordon %.0f s (loading %.0f s),"
                        + " reference %.0f s (loading %.0f s) (%.2fx).%n", refPassed, bothPassed,
                refPassed == 0 ? 100.0 : 100.0 * bothPassed / refPassed, cordonSeconds, cordonLoading, refSeconds,
                refLoading, refSeconds > 0 ? cordonSeconds / refSeconds : 0);
        if (!problems.isEmpty()) {
            out.println();
            out.println("Modules that did not load or did not finish:");
            problems.forEach(p -> out.println("  " + p));
        }
        if (!unexpected.isEmpty()) {
            out.println();
            out.println("Passing on the reference, not in Cordon, and not in the expected differences:");
            unexpected.forEach(u -> out.println("  " + u));
        }
        return unexpected.isEmpty() ? 0 : 1;
    }

    /**
     * One side's outcomes for one module: each test's id and "pass", "fail: ...", "error: ..." or "skip: ...";
     * for a run that did not finish, the test it was in when it ended ({@code unfinished}), if it had started one.
     */
    record Run(Map<String, String> outcomes, double seconds, String problem, String unfinished, double loadSeconds) {

        Run(Map<String, String> outcomes, double seconds, String problem) {
            this(outcomes, seconds, problem, null, 0);
        }

        long passed() {
            return outcomes.values().stream().filter("pass"::equals).count();
        }

        /** Why the module did not load or did not finish, if so. */
        List<String> problems() {
            List<String> p = new ArrayList<>();
            if (problem != null) {
                p.add(problem.length() > 300 ? problem.substring(0, 300) + "..." : problem);
            }
            if (outcomes.containsKey("<load>")) {
                p.add(outcomes.get("<load>"));
            }
            return p;
        }
    }

    private static Run reference(Engine engine, String code, Path cwd, Duration limit) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        try {
            Files.createDirectories(cwd);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Full access but native code: only one context of a process may load GraalPy's native modules (unless
        // they are isolated, which needs patchelf), and Cordon runs none; the modules compared are the same.
        // sys.argv as CPython's `python -c` has it (a plain context's is empty, and argparse's tests then fail on
        // the reference alone: 376 of 1,708 passed there against 1,683 in Cordon, whose argv is CPython's).
        Context context = Context.newBuilder("python").engine(engine).allowAllAccess(true).allowNativeAccess(false)
                .arguments("python", new String[] {"-c"})
                .currentWorkingDirectory(cwd.toAbsolutePath()).out(stdout).err(OutputStream.nullOutputStream())
                .build();
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "conformance-reference", 64L << 20);
            t.setDaemon(true);
            return t;
        });
        try {
            Future<?> run = thread.submit(() -> context.eval("python", code));
            String problem = null;
            try {
                run.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                problem = "the reference ran past " + limit;
            } catch (java.util.concurrent.ExecutionException e) {
                problem = e.getCause() instanceof PolyglotException p ? p.getMessage() : String.valueOf(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problem = "interrupted";
            }
            return parse(stdout.toString(StandardCharsets.UTF_8), problem);
        } finally {
            // Closed in the background: a cancel waits for the guest to reach a safepoint, which a test deep in a
            // stack walk did not for minutes; the next module does not wait for it.
            Thread closer = new Thread(() -> {
                try {
                    context.close(true);
                } catch (RuntimeException e) {
                    // a cancelled context may complain as it closes
                }
                thread.shutdownNow();
            }, "conformance-close");
            closer.setDaemon(true);
            closer.start();
            try {
                closer.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Run inCordon(Cordon cordon, String code, Duration limit) {
        ExecutionResult r = cordon.run(Execution.builder().principal("conformance").code(code)
                .grant("fs.read:" + MOUNT).grant("fs.tmp")
                .limits(Limits.builder().wallTime(limit).cpuTime(limit).memoryBytes(1L << 30)
                        .outputBytes(64L << 20).responseBytes(96L << 20).threads(64).build()).build());
        String problem = r.error() == null ? null : r.status() + ": " + r.error().type() + ": " + r.error().message();
        return parse(r.stdout(), problem);
    }

    /**
     * Runs one module on one side until it finishes: a run that ends inside a test (past its time limit, or with
     * the interpreter lost) records that test as an error with the reason, and the module runs again without the
     * tests already reported and without that one, {@link #MAX_RUNS} runs at most. One test that hangs or crashes
     * then costs that test, not every test after it. Seconds add up over the runs (each to its last outcome).
     */
    static Run resuming(Function<Set<String>, Run> side) {
        Map<String, String> outcomes = new LinkedHashMap<>();
        Set<String> skip = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        double seconds = 0;
        double loading = 0;
        for (int n = 1; ; n++) {
            Run r = side.apply(Set.copyOf(skip));
            outcomes.putAll(r.outcomes());
            seconds += r.seconds();
            loading += r.loadSeconds();
            if (r.problem() == null) {
                break;
            }
            if (r.unfinished() == null || outcomes.containsKey(r.unfinished())) {
                problems.add(r.problem());
                break;
            }
            outcomes.put(r.unfinished(), "error: " + r.problem());
            problems.add(r.unfinished() + ": " + r.problem());
            if (n == MAX_RUNS) {
                problems.add("gave up after " + MAX_RUNS + " runs");
                break;
            }
            skip.addAll(outcomes.keySet());
        }
        return new Run(outcomes, seconds, problems.isEmpty() ? null : String.join("; ", problems), null, loading);
    }

    static Run parse(String stdout, String problem) {
        int at = stdout.lastIndexOf(MARKER);
        if (at < 0) {
            return partial(stdout, problem != null ? problem : "no result printed");
        }
        String line = stdout.substring(at + MARKER.length()).lines().findFirst().orElse("{}");
        try {
            JsonNode node = Json.MAPPER.readTree(line);
            Map<String, String> outcomes = new LinkedHashMap<>();
            node.path("outcomes").properties().forEach(e -> outcomes.put(e.getKey(), e.getValue().asText()));
            return new Run(outcomes, node.path("seconds").asDouble(), problem, null,
                    node.path("load_seconds").asDouble());
        } catch (IOException e) {
            return new Run(Map.of(), 0, "unreadable result: " + e.getMessage());
        }
    }

    /**
     * The outcomes of the tests a module that did not finish ran, each printed as it came, and the time when the
     * last came: what was not reached counts as not run.
     */
    static Run partial(String stdout, String problem) {
        Map<String, String> outcomes = new LinkedHashMap<>();
        double seconds = 0;
        String started = null;
        for (String line : stdout.split("\n")) {
            if (line.startsWith(START_MARKER)) {
                try {
                    started = Json.MAPPER.readTree(line.substring(START_MARKER.length())).asText();
                } catch (IOException e) {
                    // A line cut short by the end of the run.
                }
                continue;
            }
            if (!line.startsWith(TEST_MARKER)) {
                continue;
            }
            try {
                JsonNode node = Json.MAPPER.readTree(line.substring(TEST_MARKER.length()));
                outcomes.put(node.path(0).asText(), node.path(1).asText());
                seconds = node.path(2).asDouble();
            } catch (IOException e) {
                // A line cut short by the end of the run.
            }
        }
        String unfinished = started != null && !outcomes.containsKey(started) ? started : null;
        return new Run(outcomes, seconds, outcomes.isEmpty() ? problem : problem + " (after " + outcomes.size() + " tests)",
                unfinished, 0);
    }

    /** The reason {@code id} may fail in Cordon, from an exact line or the longest prefix ending in *. */
    static String reason(Map<String, String> reasons, String id) {
        String exact = reasons.get(id);
        if (exact != null) {
            return exact;
        }
        String best = null;
        int length = -1;
        for (Map.Entry<String, String> e : reasons.entrySet()) {
            String key = e.getKey();
            if (key.endsWith("*") && id.startsWith(key.substring(0, key.length() - 1)) && key.length() > length) {
                best = e.getValue();
                length = key.length();
            }
        }
        return best;
    }

    static Map<String, String> readExpected(Path file) throws IOException {
        Map<String, String> reasons = new LinkedHashMap<>();
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            String[] parts = text.split("\\s+", 2);
            if (parts.length < 2 || parts[1].isBlank()) {
                throw new IllegalArgumentException(file + ":" + n + ": a test id and its reason are needed");
            }
            reasons.put(parts[0], parts[1]);
        }
        return reasons;
    }

    private static String driver() {
        try (InputStream in = ConformanceCommand.class.getResourceAsStream("conformance_driver.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String driver(String driver, String parent, String module, Set<String> skip) {
        String ids = "[" + String.join(", ", skip.stream().sorted().map(ConformanceCommand::pythonString).toList()) + "]";
        return driver.replace("TESTS_PARENT", pythonString(parent)).replace("MODULE_NAME", pythonString(module))
                .replace("SKIP_IDS", ids);
    }

    private static String pythonString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A CPython test suite on this machine: the environment's, a 3.12's, else Debian's 3.11's. */
    static Path findTests() throws IOException {
        String env = System.getenv("CORDON_CPYTHON_TESTS");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        List<Path> candidates = new ArrayList<>();
        Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        if (Files.isDirectory(pyenv)) {
            try (Stream<Path> versions = Files.list(pyenv)) {
                versions.filter(v -> v.getFileName().toString().startsWith("3.12")).sorted()
                        .forEach(v -> candidates.add(v.resolve("lib/python3.12/test")));
            }
        }
        candidates.add(Path.of("/usr/lib/python3.12/test"));
        candidates.add(Path.of("/usr/lib/python3.11/test"));
        return candidates.stream().filter(p -> Files.isRegularFile(p.resolve("__init__.py"))).findFirst().orElse(null);
    }
}
