package dev.cordon.cli;

import dev.cordon.ExecutionResult;
import dev.cordon.Isolation;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code cordon bench service}: the service as users deploy it and call it. A newly started {@code cordon serve}
 * (its own JVM, with this one's settings; 2 run slots, 2 prepared contexts, the isolation it defaults to) under
 * two keep-alive HTTP clients sending runs back to back: the small run over a first period and the one after
 * it, then a program that imports json, re and datetime and does a JSON round trip; then a small run paced one
 * at a time. Beside it, in the same run, CPython started for each run ({@code python3 -I -S -c}) from two
 * workers.
 */
final class ServiceBench {

    /** The imports program: json, re and datetime, and a JSON round trip. */
    static final String IMPORTS = """
            import json, re, datetime
            doc = {"when": datetime.date(2026, 12, 7).isoformat(), "words": re.findall(r"\\w+", "a real program")}
            print(json.loads(json.dumps(doc)) == doc)
            """;
    private static final String KEY = "bench-service-key-0123456789";
    private static final int CLIENTS = 2;
    private static final int PACED = 100;

    private final String small;
    private final Duration period;
    private final Duration importsPeriod;
    private final Duration pythonPeriod;
    private final Consumer<BenchCommand.Row> rows;
    private final Supplier<String> python;
    private final Isolation isolation;

    /**
     * @param period the length of each of the small run's two periods (2 minutes as users meet a new server)
     * @param isolation the server's, or null for the one it defaults to
     * @param python the real CPython interpreter's path
     */
    ServiceBench(String small, Duration period, Isolation isolation, Supplier<String> python,
                 Consumer<BenchCommand.Row> rows) {
        this.small = small;
        this.isolation = isolation;
        this.period = period;
        this.importsPeriod = period.dividedBy(2);
        this.pythonPeriod = period.dividedBy(4).compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2)
                : period.dividedBy(4);
        this.python = python;
        this.rows = rows;
    }

    void run() throws Exception {
        Load pythonSmall = cpython(small);
        Load pythonImports = cpython(IMPORTS);
        Path dir = Files.createTempDirectory("cordon-bench-service");
        Process server = null;
        try {
            Files.writeString(dir.resolve("serve.json"), """
                    {"port": 0, "dataDir": "%s", "maxConcurrentRuns": 2, "maxQueuedRuns": 8, "preparedContexts": 2,%s
                     "clients": {"bench": {"key": "%s", "principal": "bench", "grants": ["fs.tmp"],
                                           "limits": {"wallTime": "30s"}}}}
                    """.formatted(dir.resolve("data").toString().replace("\\", "\\\\"),
                    isolation == null ? "" : " \"isolation\": \"" + isolation.text() + "\",", KEY));
            long start = System.nanoTime();
            server = start(dir, Main.class.getName(), "serve", "--config", dir.resolve("serve.json").toString());
            URI uri = listening(server, "listening on");
            double ready = (System.nanoTime() - start) / 1e9;
            // The server's own default when none is asked for: worker processes, unless the environment says.
            Isolation mode = isolation != null ? isolation : Isolation.fromEnvironment(System.getenv(), Isolation.PROCESS);
            rows.accept(new BenchCommand.Row("service (isolation " + mode.text() + "): a new cordon serve listening"
                    + " after", ready, "s", null, null, null, null));

            String first = "first " + period.toSeconds() + " s";
            String second = "seconds " + period.toSeconds() + " to " + 2 * period.toSeconds();
            Load load = load(uri, small, period.multipliedBy(2));
            Load early = load.between(0, period.toNanos());
            Load late = load.between(period.toNanos(), 2 * period.toNanos());
            rate("service: small run, 2 clients back to back, " + first, early, pythonSmall, 1);
            rate("service: small run, 2 clients back to back, " + second, late, pythonSmall, 2);
            rows.accept(new BenchCommand.Row("  median of those, " + second, late.percentile(50), "ms",
                    "python3", pythonSmall.percentile(50), null, null));

            Load imports = load(uri, IMPORTS, importsPeriod);
            rate("service: json, re, datetime and a JSON round trip, 2 clients", imports, pythonImports, 2);
            rows.accept(new BenchCommand.Row("  median of those", imports.percentile(50), "ms", "python3",
                    pythonImports.percentile(50), null, null));
            rows.accept(new BenchCommand.Row("  p99 of those", imports.percentile(99), "ms", "python3",
                    pythonImports.percentile(99), null, null));

            List<Long> trips = new ArrayList<>();
            List<Long> guest = new ArrayList<>();
            CordonClient client = new CordonClient(uri, KEY);
            for (int i = 0; i < PACED; i++) {
                Thread.sleep(20);
                long t = System.nanoTime();
                ExecutionResult r = ok(client.run(CordonClient.request(small)));
                trips.add(System.nanoTime() - t);
                guest.add(r.usage().wallMillis() * 1_000_000L);
            }
            double trip = CliBench.median(trips);
            rows.accept(new BenchCommand.Row("service: small run paced one at a time, HTTP round trip, median", trip,
                    "ms", null, null, "<= 3 ms", trip <= 3.0));
            rows.accept(new BenchCommand.Row("  the guest's own wall time in it, median (whole ms, as reported)",
                    CliBench.median(guest), "ms", null, null, null, null));
        } finally {
            stop(server, dir);
        }
    }

    /** Stops {@code server} (if it was started), a minute at most before it is killed, and deletes {@code dir}. */
    static void stop(Process server, Path dir) throws IOException, InterruptedException {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor();
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Collections.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private void rate(String name, Load cordon, Load cpython, int times) {
        double value = cordon.perSecond();
        double baseline = cpython.perSecond();
        rows.accept(new BenchCommand.Row(name, value, "runs/s", "python3", baseline,
                times == 1 ? ">= python3" : ">= " + times + "x python3", value >= times * baseline));
    }

    /**
     * This JVM's java, settings and class path, with {@code mainClass} and its {@code args}, in {@code dir}: a
     * server as the launcher would start it.
     */
    static Process start(Path dir, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-Djdk.module.") && !arg.startsWith("-Djava.class.path")
                    && !arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")
                    && !arg.startsWith("-Dsun.java.command")) {
                cmd.add(arg);
            }
        }
        // The paths the launcher gave as options, which the JVM reports as properties.
        for (String[] path : new String[][] {{"jdk.module.upgrade.path", "--upgrade-module-path="},
                {"jdk.module.path", "--module-path="}}) {
            String value = System.getProperty(path[0], "");
            if (!value.isEmpty()) {
                cmd.add(path[1] + value);
            }
        }
        if (!System.getProperty("jdk.module.path", "").isEmpty()) {
            cmd.add("--add-modules=ALL-MODULE-PATH");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.PIPE).start();
    }

    /**
     * Where the server listens, once it prints a line with {@code saying} and a URL; its output is read on until it
     * ends (it must not block).
     */
    static URI listening(Process server, String saying) throws InterruptedException {
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The server ended.
            }
        });
        List<String> said = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                if (!server.isAlive()) {
                    break;
                }
                continue;
            }
            said.add(line);
            int at = line.indexOf("http://");
            if (line.contains(saying) && at >= 0) {
                return URI.create(line.substring(at).strip().split("\\s")[0]);
            }
        }
        throw new IllegalStateException("the server did not start listening: " + String.join("\n", said));
    }

    /** One client's runs: each call makes one and returns when it has ended. */
    private interface Runs {
        void next() throws Exception;
    }

    /** Two clients, each on a keep-alive connection of its own, sending {@code code} back to back. */
    private static Load load(URI uri, String code, Duration length) throws InterruptedException {
        return twoClients(length, () -> {
            CordonClient client = new CordonClient(uri, KEY);
            return () -> ok(client.run(CordonClient.request(code)));
        });
    }

    /** CPython started for each run, from two workers back to back. */
    private Load cpython(String code) throws InterruptedException {
        return twoClients(pythonPeriod, () -> () -> {
            Process p = new ProcessBuilder(python.get(), "-I", "-S", "-c", code).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("python3 failed on the service bench's program");
            }
        });
    }

    /** {@value #CLIENTS} threads, each with runs of its own, back to back for {@code length}. */
    private static Load twoClients(Duration length, Supplier<Runs> client) throws InterruptedException {
        Load load = new Load();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < CLIENTS; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    Runs runs = client.get();
                    while (System.nanoTime() < end) {
                        long t = System.nanoTime();
                        runs.next();
                        long done = System.nanoTime();
                        load.add(done - start, done - t);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a run of the service bench failed: " + failures.get(0), failures.get(0));
        }
        load.length = length.toNanos();
        return load;
    }

    private static ExecutionResult ok(ExecutionResult r) {
        if (r.status() != Status.OK) {
            throw new IllegalStateException("a benchmark run failed: " + r.status() + " " + r.error());
        }
        return r;
    }

    /** Runs that ended, each at its time since the load began, with its latency. */
    static final class Load {
        private final List<long[]> ended = Collections.synchronizedList(new ArrayList<>());
        private long length;

        void add(long at, long latency) {
            ended.add(new long[] {at, latency});
        }

        /** The runs that ended in [from, to), as a load of that length. */
        Load between(long from, long to) {
            Load part = new Load();
            synchronized (ended) {
                for (long[] e : ended) {
                    if (e[0] >= from && e[0] < to) {
                        part.ended.add(e);
                    }
                }
            }
            part.length = to - from;
            return part;
        }

        double perSecond() {
            return ended.size() / (length / 1e9);
        }

        /** The latency at percentile {@code p}, in milliseconds; 0 if no run ended. */
        double percentile(int p) {
            List<Long> sorted = new ArrayList<>();
            synchronized (ended) {
                for (long[] e : ended) {
                    sorted.add(e[1]);
                }
            }
            if (sorted.isEmpty()) {
                return 0;
            }
            Collections.sort(sorted);
            return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100)) / 1e6;
        }
    }
}
