package dev.cordon.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cordon.Backend;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Isolation;
import dev.cordon.Limits;
import dev.cordon.Session;
import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.Json;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.Source;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code cordon bench}: figures printed beside a baseline measured in the same run (CPython started as a
 * subprocess, or a plain Python call), so that they mean something on any machine.
 */
@Command(name = "bench", description = {
        "Measure Cordon and print a table of figures with a baseline from the same run.",
        "  gateway     the guest-to-host round trip of a no-op gateway call, against a plain Python call",
        "  run         small-run latency: a fresh context (booted on demand, or prepared ahead), a session,",
        "              against python3 -I -S -c started for each run; with CORDON_PYPY_SANDBOX set,",
        "              also a run in the PyPy sandbox backend's process",
        "  throughput  small runs per second on every core: fresh contexts, sessions; heap before and after",
        "  compute     six classic workloads after warm-up, against python3 running the same source",
        "  memory      the live heap of one idle prepared context",
        "  isolation   in-process against worker processes: cold start, small runs, runs per second,",
        "              the next answer after a killed worker, an idle worker's resident memory",
        "  state       a run that reads and rewrites a small file in /tmp, principals' state on this",
        "              machine against a PostgreSQL database (--state-database), and its transactions",
        "  programs    real programs in fresh prepared contexts: the first open() of a file in /tmp, and",
        "              importing 28 everyday modules, against python3 doing the same",
        "  service     a newly started cordon serve under two keep-alive HTTP clients: small runs over a",
        "              first period and the next (--service-seconds each), an importing program, a paced",
        "              small run's round trip; against python3 -I -S -c from two workers",
        "  cli         ./cordon run -c 'print(1)' as a shell runs it: the first call, which starts your",
        "              background process, then calls once it is up, and with --no-daemon; against",
        "              python3 -I -S -c",
        "  zoobar      a newly started Zoobar example: each bundled profile's page, one view at a time on",
        "              a warm server, against a page whose profile is `pass`",
        "  all         run, throughput, compute and memory"})
final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "WHAT", description = "gateway, run, throughput, compute, memory, isolation, state, programs, service, cli, zoobar"
            + " or all.",
            defaultValue = "gateway")
    String what;

    @Option(names = "--samples", description = "Timed calls (default: 20000 for gateway, 200 runs for run, 20 commands for cli, 50 rounds of pages for zoobar).", defaultValue = "20000")
    int samples;

    @Option(names = "--warmup", description = "Gateway calls before timing, so the JIT has compiled the path (default: 1000000).",
            defaultValue = "1000000")
    int warmup;

    @Option(names = "--seconds", description = "How long each throughput figure is sustained (default: 60).", defaultValue = "60")
    int seconds;

    @Option(names = "--run-warmup", description = "Seconds of prepared runs before they are timed (run) (default: 20).",
            defaultValue = "20")
    int runWarmup;

    @Option(names = "--throughput-warmup", description = "Seconds each throughput figure's own load runs at least before"
            + " it is counted (throughput); the rate during the warm-up is reported too (default: 120).", defaultValue = "120")
    int throughputWarmup;

    @Option(names = "--throughput-settle", description = "Seconds the warm-up may go on past --throughput-warmup while"
            + " the Truffle compiler is still busy with the load's start-up code (default: 600; 0: never).",
            defaultValue = "600")
    int throughputSettle;

    @Option(names = "--compute-warmup", description = "Seconds each compute workload runs before it is timed (default: 30).",
            defaultValue = "30")
    int computeWarmup;

    @Option(names = "--workloads", split = ",", paramLabel = "NAME",
            description = "The compute workloads to run, comma-separated (default: all six: ${DEFAULT-VALUE}).",
            defaultValue = ALL_WORKLOADS)
    List<String> workloads;

    @Option(names = "--program", paramLabel = "FILE", description = "The small run's program (run, throughput,"
            + " memory): a Python file, run by Cordon and by python3 alike (default: a sum over a generator and a print).")
    Path program;

    @Option(names = "--json", description = "Print the figures as one JSON object instead of a table.")
    boolean json;

    @Option(names = "--state-database", paramLabel = "JDBC_URL", description = "The PostgreSQL database of the"
            + " state bench, its user and password in the URL (jdbc:postgresql://HOST/DB?user=U); the bench adds a"
            + " principal of its own to it.")
    String stateDatabase;

    @Option(names = "--service-seconds", paramLabel = "N", description = "The length of each of the service bench's"
            + " two periods of small runs, the first from the server's start (default: 120); the importing program"
            + " runs half as long, python3 a quarter (at least 2 s).", defaultValue = "120")
    int serviceSeconds;

    @Option(names = "--isolation", paramLabel = "MODE", description = "The service bench's server: in-process or"
            + " process (default: what cordon serve defaults to).")
    String isolation;

    /** The default small run ({@code small.py}): a sum over a generator and a print. */
    static final String SMALL = resourceText("small.py");
    /** The gateway bench's program ({@code gateway.py}). */
    private static final String GATEWAY = resourceText("gateway.py");
    private static final Limits LONG = Limits.builder().wallTime(Duration.ofMinutes(10)).build();

    private final List<Row> rows = new ArrayList<>();

    /** One figure: its value, and the baseline and target it is judged by when it has them. */
    record Row(String name, double value, String unit, String baselineName, Double baseline, String target,
               Boolean met) {
    }

    /** The workloads of {@code workloads.py}, in the order the benchmark times them. */
    private static final String ALL_WORKLOADS = "richards,nbody,fannkuch,spectral-norm,json,regex";
    private static final List<String> WORKLOADS = List.of(ALL_WORKLOADS.split(","));

    @Override
    public Integer call() throws Exception {
        if (samples < 1 || warmup < 0 || seconds < 1 || serviceSeconds < 1 || runWarmup < 0 || throughputWarmup < 0 || throughputSettle < 0
                || computeWarmup < 0) {
            throw new IllegalArgumentException("--samples, --seconds and --service-seconds must be at least 1, the"
                    + " warm-ups at least 0");
        }
        for (String w : workloads) {
            if (!WORKLOADS.contains(w)) {
                throw new IllegalArgumentException("unknown workload " + w + ": " + String.join(", ", WORKLOADS));
            }
        }
        smallProgram = program == null ? SMALL : readProgram(program);
        switch (what) {
            case "gateway" -> gateway();
            case "run" -> latency();
            case "throughput" -> {
                throughput();
                bareGraalPyThroughput();
            }
            case "compute" -> compute();
            case "memory" -> memory();
            case "state" -> state();
            case "programs" -> programs();
            case "service" -> new ServiceBench(smallProgram, Duration.ofSeconds(serviceSeconds),
                    isolation == null ? null : Isolation.parse(isolation), BenchCommand::pythonExecutable, rows::add)
                    .run();
            case "cli" -> new CliBench(Math.min(samples, 20), Duration.ofSeconds(runWarmup),
                    BenchCommand::pythonExecutable, rows::add).run();
            case "zoobar" -> new ZoobarBench(Math.min(samples, 50), Duration.ofSeconds(runWarmup), rows::add).run();
            case "isolation" -> new IsolationBench(smallProgram, Math.min(samples, 200), Duration.ofSeconds(runWarmup),
                    Duration.ofSeconds(seconds), rows::add).run();
            case "all" -> {
                latency();
                memory();
                compute();
                throughput();
                bareGraalPyThroughput();
            }
            default -> throw new IllegalArgumentException("unknown benchmark " + what
                    + ": gateway, run, throughput, compute, memory, isolation, state, programs, service, cli, zoobar"
                    + " or all");
        }
        print();
        return 0;
    }

    private void gateway() {
        try (Cordon cordon = Cordon.builder().service("noop", (ctx, op, args) -> null).defaultLimits(LONG).build()) {
            Map<?, ?> value = (Map<?, ?>) ok(cordon.run(Execution.builder().grant("gateway:noop").code(GATEWAY)
                    .param("warmup", warmup).param("samples", samples).build())).value();
            Map<?, ?> gateway = (Map<?, ?>) value.get("gateway");
            Map<?, ?> plain = (Map<?, ?>) value.get("plain");
            for (String k : List.of("median", "p90", "p99")) {
                double us = micros(gateway.get(k));
                rows.add(new Row("gateway round trip, " + k, us, "µs", "plain Python call", micros(plain.get(k)),
                        k.equals("median") ? "<= 5 µs" : null, k.equals("median") ? us <= 5.0 : null));
            }
        }
    }

    /** Small runs one at a time, on a warm Cordon, three ways; CPython started for each run. */
    private void latency() throws Exception {
        int n = Math.min(samples, 200);
        double python = cpythonMedianMillis(Math.min(n, 50));
        try (Cordon onDemand = Cordon.builder().defaultLimits(LONG).build()) {
            List<Long> fresh = time(n, () -> ok(onDemand.run(small("bench"))));
            addLatency("small run, fresh context booted on demand", fresh, python, null);
            // Built while the first Cordon is open, this one shares its engine and the code the runs above
            // warmed: a warm Cordon, as a server's is. Closing the first would have closed the engine.
            try (Cordon cordon = Cordon.builder().defaultLimits(LONG).preparedContexts(2).build()) {
                List<Long> prepared = new ArrayList<>();
                // Even on this engine, warmed by the fresh runs, the first 20 s of prepared runs took the median
                // from 3.3 to 1.2 ms and a context's boot from 81 to 56 ms as Graal compiled both paths.
                long warmUntil = System.nanoTime() + Duration.ofSeconds(runWarmup).toNanos();
                while (prepared.size() < n) {
                    // Light load: the next run comes once the pool has refilled and the last context is closed,
                    // as between requests of a server that is not saturated.
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while ((cordon.preparedContextsReady() < 2 || cordon.activeGuestThreads() > 0)
                            && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                    long start = System.nanoTime();
                    ok(cordon.run(small("bench")));
                    if (start > warmUntil) {
                        prepared.add(System.nanoTime() - start);
                    }
                }
                addLatency("small run, fresh context prepared ahead", prepared, python, 5.0);
                try (Session session = cordon.session("bench", Grants.none())) {
                    List<Long> warm = time(n, () -> ok(session.run(small("bench"))));
                    addLatency("small run, session mode", warm, python, null);
                }
            }
        }
        String pypy = System.getenv(Backend.PYPY_VARIABLE);
        if (pypy != null && !pypy.isBlank()) {
            try (Cordon cordon = Cordon.builder().backend(Backend.pypySandbox(Path.of(pypy))).defaultLimits(LONG)
                    .build()) {
                List<Long> process = time(Math.min(n, 50), () -> ok(cordon.run(small("bench"))));
                addLatency("small run, PyPy sandbox process (" + Backend.PYPY_VARIABLE + ")", process, python, null);
            }
        }
    }

    /**
     * The run of the state bench: reads a small file of the principal's /tmp and writes it back, one longer. It
     * imports nothing (an import of {@code os} alone costs a fresh context 60 ms or more, give or take as much,
     * which would drown the stores' difference in noise).
     */
    private static final String STATE_RUN = """
            try:
                n = len(open('/tmp/count').read())
            except FileNotFoundError:
                n = 0
            with open('/tmp/count', 'w') as f:
                f.write('x' * ((n + 1) % 100))
            """;

    /**
     * A run that reads and rewrites one small file in {@code /tmp}, on warm Cordons whose principals' state is on
     * this machine, in PostgreSQL as the URL gives it (by default each commit waits for the database's write-ahead
     * log to reach its disk), and in PostgreSQL with {@code synchronous_commit=off} (a close then survives the
     * node's death but not the database server's crash, the local store's own promise: it does not fsync), the
     * three timed in turn so that the machine's drift falls on all alike; and the database's transactions per run.
     */
    private void state() throws Exception {
        if (stateDatabase == null) {
            throw new IllegalArgumentException("bench state needs --state-database jdbc:postgresql://HOST/DB?user=U");
        }
        int n = Math.min(samples, 200);
        Path dir = java.nio.file.Files.createTempDirectory("cordon-bench-state");
        String asynchronous = stateDatabase + (stateDatabase.contains("?") ? "&" : "?")
                + "options=-c%20synchronous_commit%3Doff";
        try (Cordon onDisk = Cordon.builder().dataDir(dir.resolve("local")).defaultLimits(LONG).preparedContexts(2)
                .build();
             Cordon inDatabase = Cordon.builder().dataDir(dir.resolve("postgres")).stateDatabase(stateDatabase, null,
                     null, 4).defaultLimits(LONG).preparedContexts(2).build();
             Cordon unsynced = Cordon.builder().dataDir(dir.resolve("postgres-async")).stateDatabase(asynchronous,
                     null, null, 4).defaultLimits(LONG).preparedContexts(2).build()) {
            List<Cordon> cordons = List.of(onDisk, inDatabase, unsynced);
            Execution run = Execution.builder().principal("bench-state").grant("fs.tmp").code(STATE_RUN).build();
            // At least one run each before the counting: the first creates the schema, the principal and its file.
            long warmUntil = System.nanoTime() + Duration.ofSeconds(runWarmup).toNanos();
            do {
                for (Cordon c : cordons) {
                    ok(c.run(run));
                }
            } while (System.nanoTime() < warmUntil);
            List<List<Long>> times = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            long transactions = transactions();
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < cordons.size(); k++) {
                    // Each run once every Cordon is at rest, as in a server of one Cordon between requests: another
                    // one's preparer booting its next context on the second core took the database's backend
                    // process off the processor and added about a millisecond to each of the run's round trips.
                    for (Cordon c : cordons) {
                        awaitIdle(c);
                    }
                    times.get(k).add(timedWhenIdle(cordons.get(k), run));
                }
            }
            double perRun = (transactions() - transactions) / (2.0 * n);
            times.forEach(Collections::sort);
            for (String k : List.of("median", "p90")) {
                int at = k.equals("median") ? n / 2 : n * 9 / 10;
                double l = times.get(0).get(at) / 1e6;
                rows.add(new Row("run reading and rewriting a file in /tmp, state on this machine, " + k, l, "ms",
                        null, null, null, null));
                String[] names = {"state in PostgreSQL", "state in PostgreSQL, synchronous_commit=off"};
                for (int v = 0; v < 2; v++) {
                    double p = times.get(v + 1).get(at) / 1e6;
                    rows.add(new Row("run reading and rewriting a file in /tmp, " + names[v] + ", " + k, p, "ms",
                            "state on this machine", l, k.equals("median") ? "<= 3 ms more" : null,
                            k.equals("median") ? p - l <= 3.0 : null));
                }
            }
            rows.add(new Row("  PostgreSQL transactions per such run (pg_stat_database)", perRun, "", null, null, null,
                    null));
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The 28 everyday modules of {@link #programs()}. */
    static final String EVERYDAY_MODULES = "json, re, collections, itertools, functools, datetime, time, math, random,"
            + " string, textwrap, base64, hashlib, struct, decimal, fractions, statistics, dataclasses, typing, enum,"
            + " heapq, bisect, io, csv, html, urllib.parse, traceback";
    /** Prints the milliseconds its own work took, by the interpreter's clock (time is imported before). */
    private static final String FIRST_OPEN = """
            import time
            t = time.perf_counter()
            with open('/tmp/bench-open.txt', 'w') as f:
                f.write('s')
            print((time.perf_counter() - t) * 1000)
            """;
    private static final String IMPORTS = """
            import time
            t = time.perf_counter()
            import %s
            print((time.perf_counter() - t) * 1000)
            """.formatted(EVERYDAY_MODULES);

    /**
     * Real programs, each in a fresh prepared context of a warm Cordon (the next once the pool has refilled, as a
     * server between requests): the first open() of a file in /tmp, and the import of 28 everyday modules, each
     * timed by the interpreter itself, after {@link #runWarmup} seconds of the same runs; and python3 doing the
     * same, started for each run.
     */
    private void programs() throws Exception {
        int n = Math.min(samples, 200);
        Path dir = java.nio.file.Files.createTempDirectory("cordon-bench-programs");
        try (Cordon cordon = Cordon.builder().dataDir(dir).defaultLimits(LONG).preparedContexts(2).build()) {
            Execution open = Execution.builder().principal("bench").grant("fs.tmp").code(FIRST_OPEN).build();
            Execution imports = Execution.builder().principal("bench").code(IMPORTS).build();
            long warmUntil = System.nanoTime() + Duration.ofSeconds(runWarmup).toNanos();
            do {
                ok(cordon.run(open));
                ok(cordon.run(imports));
            } while (System.nanoTime() < warmUntil);
            List<Double> opens = new ArrayList<>();
            List<Double> imported = new ArrayList<>();
            List<Long> importRuns = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                opens.add(ownMillis(cordon, open, null));
                imported.add(ownMillis(cordon, imports, importRuns));
            }
            String tmp = java.nio.file.Files.createTempDirectory("cordon-bench-python").toString();
            String pythonOpen = FIRST_OPEN.replace("/tmp/", tmp + "/");
            List<Double> pyOpens = new ArrayList<>();
            List<Double> pyImports = new ArrayList<>();
            for (int i = 0; i < Math.min(n, 30); i++) {
                pyOpens.add(Double.parseDouble(python("-I", "-S", "-c", pythonOpen).strip()));
                pyImports.add(Double.parseDouble(python("-I", "-S", "-c", IMPORTS).strip()));
            }
            double o = median(opens);
            double m = median(imported);
            rows.add(new Row("first open() of a file in /tmp, fresh prepared context, median", o, "ms",
                    "python3, the same open", median(pyOpens), "<= 5 ms", o <= 5.0));
            rows.add(new Row("import of 28 everyday modules, fresh prepared context, median", m, "ms",
                    "python3, the same import", median(pyImports), "<= 50 ms", m <= 50.0));
            Collections.sort(importRuns);
            rows.add(new Row("  the whole run of that import, median", importRuns.get(importRuns.size() / 2) / 1e6,
                    "ms", null, null, null, null));
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The milliseconds a run printed, once its Cordon is idle with its contexts prepared; the run's own time too. */
    private static double ownMillis(Cordon cordon, Execution run, List<Long> runNanos) throws InterruptedException {
        awaitIdle(cordon);
        long start = System.nanoTime();
        ExecutionResult r = ok(cordon.run(run));
        if (runNanos != null) {
            runNanos.add(System.nanoTime() - start);
        }
        return Double.parseDouble(r.stdout().strip());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * One run timed once its Cordon has its prepared contexts again and no guest thread at work, as a request
     * finds a server that is not saturated.
     */
    private static long timedWhenIdle(Cordon cordon, Execution run) throws InterruptedException {
        awaitIdle(cordon);
        long start = System.nanoTime();
        ok(cordon.run(run));
        return System.nanoTime() - start;
    }

    /** Waits, up to 30 s, until the Cordon has its two prepared contexts again and no guest thread at work. */
    private static void awaitIdle(Cordon cordon) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ((cordon.preparedContextsReady() < 2 || cordon.activeGuestThreads() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** The state database's committed transactions so far, once the statistics of every connection are in. */
    private long transactions() throws Exception {
        Thread.sleep(11_000);   // a backend reports its statistics within 1 s of going idle, 10 s if it was busy
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(stateDatabase);
             java.sql.Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery(
                     "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
            r.next();
            return r.getLong(1);
        }
    }

    private void addLatency(String name, List<Long> nanos, double python, Double targetMedian) {
        Collections.sort(nanos);
        double median = nanos.get(nanos.size() / 2) / 1e6;
        double p99 = nanos.get(Math.min(nanos.size() - 1, nanos.size() * 99 / 100)) / 1e6;
        rows.add(new Row(name + ", median", median, "ms", "python3 -I -S -c, median", python,
                targetMedian == null ? null : "<= " + targetMedian + " ms and >= 10x faster than python3",
                targetMedian == null ? null : median <= targetMedian && python / median >= 10));
        rows.add(new Row(name + ", p99", p99, "ms", null, null, targetMedian == null ? null : "<= 20 ms",
                targetMedian == null ? null : p99 <= 20));
    }

    /** Runs per second from every core for {@link #seconds}, and the heap after a collection before and after. */
    private void throughput() throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        try (Cordon cordon = Cordon.builder().defaultLimits(LONG).maxConcurrentRuns(threads).build()) {
            for (int i = 0; i < 20; i++) {
                ok(cordon.run(small("bench")));
            }
            long before = liveHeap();
            Rate fresh = sustained(threads, t -> ok(cordon.run(small("bench-" + t))));
            long after = liveHeap();
            rows.add(new Row("throughput, fresh context per run (" + threads + " threads, " + seconds + " s)",
                    fresh.perSecond(), "runs/s", null, null, ">= 100 runs/s", fresh.perSecond() >= 100));
            rows.add(new Row("  CPU of the process per such run (all threads: guest, JIT, GC)", fresh.cpuMillisPerRun(),
                    "ms", null, null, null, null));
            addWarmupRows(fresh);
            rows.add(new Row("live heap after, fresh contexts (before: " + (before >> 20) + " MB)", after >> 20, "MB",
                    null, null, null, null));
            List<Session> sessions = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                sessions.add(cordon.session("bench-" + t, Grants.none()));
            }
            try {
                long beforeSessions = liveHeap();
                Rate session = sustained(threads, t -> ok(sessions.get(t).run(small("bench-" + t))));
                double sessionRate = session.perSecond();
                long afterSessions = liveHeap();
                rows.add(new Row("throughput, session mode (" + threads + " threads, " + seconds + " s)", sessionRate,
                        "runs/s", null, null, ">= 1000 runs/s", sessionRate >= 1000));
                addWarmupRows(session);
                rows.add(new Row("live heap after, sessions (before: " + (beforeSessions >> 20) + " MB)",
                        afterSessions >> 20, "MB", null, null, null, null));
            } finally {
                sessions.forEach(Session::close);
            }
        }
    }

    /**
     * The floor under fresh-context throughput: GraalPy alone, a default Context per run on an engine of
     * its own, with no filesystem, boot, guard or limits. What Cordon adds to a fresh context is the gap.
     */
    private void bareGraalPyThroughput() throws InterruptedException {
        int threads = Runtime.getRuntime().availableProcessors();
        try (Engine engine = Engine.newBuilder("python").option("engine.WarnInterpreterOnly", "false")
                .out(OutputStream.nullOutputStream()).err(OutputStream.nullOutputStream()).build()) {
            Source source = Source.create("python", smallProgram);
            java.util.function.IntConsumer run = t -> {
                try (Context context = Context.newBuilder("python").engine(engine)
                        .out(OutputStream.nullOutputStream()).err(OutputStream.nullOutputStream()).build()) {
                    context.eval(source);
                }
            };
            for (int i = 0; i < 20; i++) {
                run.accept(0);
            }
            Rate bare = sustained(threads, run);
            rows.add(new Row("throughput, GraalPy alone: a bare Context per run, no Cordon (" + threads + " threads)",
                    bare.perSecond(), "runs/s", null, null, null, null));
            rows.add(new Row("  CPU of the process per such run", bare.cpuMillisPerRun(), "ms", null, null, null, null));
            addWarmupRows(bare);
        }
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    /**
     * Runs per second, the CPU of the whole process (guest, JIT and GC threads) per run in milliseconds, the share
     * of one core the Truffle compiler took meanwhile, and the warm-up before: its length and the rate of the same
     * load during it (the JIT still compiling), which a freshly started server sees.
     */
    private record Rate(double perSecond, double cpuMillisPerRun, double compilerShare, double warmupSeconds,
                        double warmupPerSecond) {
    }

    /** The warm-up's length and rate, and the compiler's share, beside the figure they preceded. */
    private void addWarmupRows(Rate rate) {
        rows.add(new Row("  Truffle compiler's share of one core meanwhile", rate.compilerShare() * 100, "%", null, null,
                null, null));
        if (rate.warmupSeconds() > 0) {
            rows.add(new Row("  the same load during its " + Math.round(rate.warmupSeconds()) + " s of warm-up (not"
                    + " counted above)", rate.warmupPerSecond(), "runs/s", null, null, null, null));
        }
    }

    /**
     * The warm-up ends once the Truffle compiler took less than this share of one core over a window of
     * {@link #SETTLE_WINDOW_SECONDS} (or of {@link #throughputSettle}, if shorter): the start-up code every run executes is compiled by then, and what it
     * still compiles is the work a warm server keeps doing.
     */
    static final double SETTLED_COMPILER_SHARE = 0.25;
    private static final int SETTLE_WINDOW_SECONDS = 20;

    /**
     * Runs per second of {@code work} on {@code threads} threads over {@link #seconds}, after a warm-up of the same
     * load on the same threads: a rate sustained by a warm Cordon, not its first minutes. The warm-up lasts
     * {@link #throughputWarmup} seconds, then goes on, for at most {@link #throughputSettle} more, until the Truffle
     * compiler has settled ({@link #SETTLED_COMPILER_SHARE}). With a fresh context per run on 2 cores the JIT takes
     * minutes to compile the start-up code, each function first when it has run 400 times and again at 10,000
     * (docs/performance-log.md).
     */
    private Rate sustained(int threads, java.util.function.IntConsumer work) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    work.accept(id);
                    done.incrementAndGet();
                }
            }));
        }
        long warmupStart = System.nanoTime();
        Thread.sleep(throughputWarmup * 1_000L);
        long settleBy = System.nanoTime() + Duration.ofSeconds(throughputSettle).toNanos();
        if (throughputSettle > 0) {
            CompilerClock clock = new CompilerClock();
            long window = Math.min(SETTLE_WINDOW_SECONDS, throughputSettle) * 1_000L;
            clock.lap();
            while (System.nanoTime() < settleBy) {
                Thread.sleep(window);
                if (clock.lap() < SETTLED_COMPILER_SHARE) {
                    break;
                }
            }
        }
        long start = System.nanoTime();
        long cpu = processCpuNanos();
        long first = done.get();
        double warmupSeconds = (start - warmupStart) / 1e9;
        double warmupRate = warmupSeconds < 1e-3 ? 0 : first / warmupSeconds;
        CompilerClock compiler = new CompilerClock();
        compiler.lap();
        Thread.sleep(seconds * 1_000L);
        double compilerShare = compiler.lap();
        long count = done.get() - first;
        double cpuMillis = (processCpuNanos() - cpu) / 1e6;
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        for (Thread t : ts) {
            t.join();
        }
        return new Rate(count / elapsed, count == 0 ? 0 : cpuMillis / count, compilerShare, warmupSeconds, warmupRate);
    }

    /**
     * The CPU time of Truffle's compiler threads, by thread, as a share of one core between two laps. Truffle
     * stops an idle compiler thread and starts a new one on demand; a thread that ended within a lap takes its
     * time with it, so a lap can only under-count, by at most the last seconds of such a thread.
     */
    private static final class CompilerClock {
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private Map<Long, Long> last = Map.of();
        private long lastAt = System.nanoTime();

        /** The share of one core the compiler threads used since the previous lap. */
        double lap() {
            Map<Long, Long> now = new HashMap<>();
            for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info != null && info.getThreadName().startsWith("TruffleCompilerThread")) {
                    long nanos = threads.getThreadCpuTime(info.getThreadId());
                    if (nanos > 0) {
                        now.put(info.getThreadId(), nanos);
                    }
                }
            }
            long busy = 0;
            for (Map.Entry<Long, Long> e : now.entrySet()) {
                busy += e.getValue() - last.getOrDefault(e.getKey(), 0L);
            }
            long at = System.nanoTime();
            double share = busy / (double) Math.max(1, at - lastAt);
            last = now;
            lastAt = at;
            return share;
        }
    }

    /**
     * Each workload in a fresh context of its own, warmed up for {@link #computeWarmup} seconds and then timed
     * (best of five) in the same run, as CPython's process runs it; CPython's best of five on the same source.
     * The JSON figure varies from run to run by a factor of up to 20 under GraalPy's JIT (docs/performance.md,
     * "Performance"); the other five are stable within tens of percent.
     */
    private void compute() throws Exception {
        String source = resource("workloads.py");
        List<Double> ratios = new ArrayList<>();
        try (Cordon cordon = Cordon.builder().defaultLimits(LONG).build()) {
            for (String w : workloads) {
                String call = source + "\nbest = warmed('" + w + "', " + computeWarmup + ", 5)\nimport cordon\ncordon.result(best)\n";
                double cordonSeconds = ((Number) ok(cordon.run(Execution.builder().principal("bench").code(call).build()))
                        .value()).doubleValue();
                double pythonSeconds = cpythonWorkload(source, w);
                ratios.add(pythonSeconds / cordonSeconds);
                rows.add(new Row("compute: " + w + " (best of 5 after " + computeWarmup + " s of warm-up)", cordonSeconds * 1e3, "ms",
                        "python3", pythonSeconds * 1e3, null, null));
            }
        }
        double geomean = Math.exp(ratios.stream().mapToDouble(Math::log).average().orElse(0));
        rows.add(new Row("compute: geometric mean speed-up over CPython (JIT " + (jit() ? "on" : "off") + ")", geomean,
                "x", null, null, ">= 2x", geomean >= 2));
    }

    /** The heap that one idle prepared context keeps alive. */
    private void memory() throws Exception {
        int n = 8;
        try (Cordon warm = Cordon.builder().build()) {
            ok(warm.run(small("bench")));
            long base = liveHeap();
            try (Cordon cordon = Cordon.builder().preparedContexts(n).build()) {
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (cordon.preparedContextsReady() < n && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                double per = (liveHeap() - base) / (double) cordon.preparedContextsReady() / (1 << 20);
                rows.add(new Row("live heap of one idle prepared context", per, "MB", null, null, "<= 15 MB", per <= 15));
            }
        }
    }

    private static long liveHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static boolean jit() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+EnableJVMCI");
    }

    private static String readProgram(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--program: cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The small run's program: {@code --program}'s file, or {@link #SMALL}. */
    private String smallProgram;

    private Execution small(String principal) {
        return Execution.builder().principal(principal).code(smallProgram).build();
    }

    private static ExecutionResult ok(ExecutionResult r) {
        if (!r.isOk()) {
            throw new IllegalStateException("a benchmark run failed: " + r.status() + " " + r.error());
        }
        return r;
    }

    private interface Timed {
        void run() throws Exception;
    }

    private static List<Long> time(int n, Timed body) throws Exception {
        for (int i = 0; i < 10; i++) {
            body.run();
        }
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            body.run();
            out.add(System.nanoTime() - start);
        }
        return out;
    }

    private double cpythonMedianMillis(int n) throws Exception {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            python("-I", "-S", "-c", smallProgram);
            out.add(System.nanoTime() - start);
        }
        Collections.sort(out);
        return out.get(out.size() / 2) / 1e6;
    }

    private static double cpythonWorkload(String source, String workload) throws Exception {
        return Double.parseDouble(python("-I", "-S", "-c", source + "\nimport sys\nprint(run(sys.argv[1], 5))", workload).trim());
    }

    private static String python(String... args) throws IOException, InterruptedException {
        return run(CPython.get().executable(), args);
    }

    private static String run(String executable, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(executable + " failed: " + out);
        }
        return out;
    }

    /**
     * The CPython every baseline runs: the real interpreter behind {@code python3} on the {@code PATH}, asked
     * once for its {@code sys.executable}. A version manager's {@code python3} is a shell script that finds and
     * re-executes the interpreter, about 330 ms per start on these machines against 25 to 35 ms for the
     * interpreter itself, which would inflate every ratio against CPython.
     */
    record CPython(String executable, String version) {

        private static CPython resolved;

        static synchronized CPython get() throws IOException, InterruptedException {
            if (resolved == null) {
                String[] lines = run("python3", "-I", "-S", "-c",
                        "import sys, platform; print(sys.executable); print(platform.python_implementation(), "
                                + "platform.python_version())").strip().split("\n");
                String executable = lines[0].strip();
                if (executable.isEmpty() || !Files.isExecutable(Path.of(executable))) {
                    throw new IllegalStateException("python3 names no interpreter it can be run as: '" + executable + "'");
                }
                resolved = new CPython(executable, lines[lines.length - 1].strip());
            }
            return resolved;
        }

        @Override
        public String toString() {
            return executable + " (" + version + ")";
        }
    }

    private static String resourceText(String name) {
        try {
            return resource(name);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = BenchCommand.class.getResourceAsStream("/dev/cordon/bench/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void print() {
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch")
                    + ", Java " + Runtime.version() + ", JIT " + (jit() ? "on" : "off"));
            o.put("python3", cpythonName());
            ArrayNode a = o.putArray("figures");
            for (Row r : rows) {
                ObjectNode f = a.addObject();
                f.put("name", r.name());
                f.put("value", r.value());
                f.put("unit", r.unit());
                if (r.baseline() != null) {
                    f.put("baseline", r.baselineName());
                    f.put("baselineValue", r.baseline());
                    f.put("ratio", ratio(r));
                }
                if (r.target() != null) {
                    f.put("target", r.target());
                    f.put("met", r.met());
                }
            }
            System.out.println(o);
            return;
        }
        System.out.println("python3 in the baselines: " + cpythonName());
        System.out.printf("%-72s %12s  %-34s %s%n", "figure", "value", "baseline (same run)", "target");
        for (Row r : rows) {
            String baseline = r.baseline() == null ? "" : "%s %.2f %s (%.2fx)".formatted(r.baselineName(), r.baseline(),
                    r.unit(), ratio(r));
            String target = r.target() == null ? "" : r.target() + (r.met() ? ": met" : ": NOT met");
            System.out.printf("%-72s %9.2f %-3s %-34s %s%n", r.name(), r.value(), r.unit(), baseline, target);
        }
    }

    /** How many times better than its baseline a figure is: a rate's more, a time's less. */
    private static double ratio(Row r) {
        return r.unit().equals("runs/s") ? r.value() / r.baseline() : r.baseline() / r.value();
    }

    private static String pythonExecutable() {
        try {
            return CPython.get().executable();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while python3 was found", e);
        }
    }

    private static String cpythonName() {
        try {
            return CPython.get().toString();
        } catch (IOException | InterruptedException | RuntimeException e) {
            return "unavailable (" + e.getMessage() + ")";
        }
    }

    private static double micros(Object nanos) {
        return ((Number) nanos).doubleValue() / 1_000.0;
    }
}
