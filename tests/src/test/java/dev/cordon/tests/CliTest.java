package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cordon.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The command line in-process: output, exit codes and the JSON shape. */
class CliTest {

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    /** Holds the shared engine open, so that each command's own Cordon starts warm. */
    @org.junit.jupiter.api.BeforeAll
    static void warmEngine() {
        dev.cordon.testing.SharedCordon.get();
    }

    private static synchronized Run cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = Main.execute(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void printsWhatTheGuestPrints() {
        Run r = cli("run", "-c", "print(1+1)");
        assertThat(r.exit()).isEqualTo(0);
        assertThat(r.out()).isEqualTo("2\n");
    }

    @Test
    void runsAFileWithParams(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("greet.py");
        Files.writeString(script, "import cordon\nprint('hi', cordon.params['who'])\n");
        Run r = cli("run", "--param", "who=bob", script.toString());
        assertThat(r.exit()).isEqualTo(0);
        assertThat(r.out()).isEqualTo("hi bob\n");
    }

    @Test
    void jsonIsOneObjectWithTheDocumentedFields() throws Exception {
        Run r = cli("run", "--json", "-c", "import cordon\nprint('x')\ncordon.result([1, 'two'])");
        assertThat(r.exit()).isEqualTo(0);
        JsonNode j = r.json();
        assertThat(j.fieldNames()).toIterable().contains("status", "stdout", "stderr", "value", "error", "usage", "events");
        assertThat(j.get("status").asText()).isEqualTo("OK");
        assertThat(j.get("stdout").asText()).isEqualTo("x\n");
        assertThat(j.get("value").toString()).isEqualTo("[1,\"two\"]");
        assertThat(j.get("error").isNull()).isTrue();
        assertThat(j.get("usage").fieldNames()).toIterable().contains("wallMillis", "cpuMillis", "allocatedBytes");
    }

    @Test
    void aPyPySandboxThatCannotBeUsedIsABadUsageNamingIt(@TempDir Path dir) {
        String nope = dir.resolve("nope").toString();
        assertThat(usageError("run", "--backend", "pypy", "--pypy-sandbox", nope, "-c", "print(1)"))
                .contains("nope").contains("does not exist or is not executable");
        if (System.getenv("CORDON_PYPY_SANDBOX") == null) {
            assertThat(usageError("run", "--backend", "pypy", "-c", "print(1)")).contains("CORDON_PYPY_SANDBOX");
        }
        assertThat(usageError("run", "--backend", "cpython", "-c", "print(1)")).contains("graalpy or pypy");
    }

    @Test
    void osSystemIsAPermissionErrorWithExitCode1() throws Exception {
        Run r = cli("run", "--json", "-c", "import os; os.system('id')");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode j = r.json();
        assertThat(j.get("status").asText()).isEqualTo("ERROR");
        assertThat(j.get("error").get("type").asText()).isEqualTo("PermissionError");
        assertThat(j.get("events").get(0).get("outcome").asText()).isEqualTo("DENIED");
    }

    @Test
    void guestErrorsPrintATracebackAndExit1() {
        Run r = cli("run", "-c", "1/0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("ZeroDivisionError: division by zero");
    }

    @Test
    void limitsExit3() throws Exception {
        Run timeout = cli("run", "--json", "--timeout", "300ms", "-c", "while True: pass");
        assertThat(timeout.exit()).isEqualTo(3);
        assertThat(timeout.json().get("status").asText()).isEqualTo("TIMEOUT");
        Run output = cli("run", "--max-output", "1KB", "-c", "print('x' * 5000)");
        assertThat(output.exit()).isEqualTo(3);
        assertThat(output.out()).hasSize(1024);
        assertThat(output.err()).contains("OUTPUT_LIMIT");
    }

    @Test
    void badUsageExits2WithAMessage() {
        assertThat(cli("run").exit()).isEqualTo(2);
        assertThat(cli("run", "--timeout", "soon", "-c", "1").err()).contains("not a duration");
        assertThat(cli("run", "--timeout", "soon", "-c", "1").exit()).isEqualTo(2);
        assertThat(cli("run", "--memory", "lots", "-c", "1").exit()).isEqualTo(2);
        assertThat(cli("run", "--grant", "fs.everything", "-c", "1").exit()).isEqualTo(2);
        assertThat(cli("run", "--nope", "-c", "1").exit()).isEqualTo(2);
        assertThat(cli("run", "/no/such/script.py").exit()).isEqualTo(2);
        assertThat(cli("frobnicate").exit()).isEqualTo(2);
    }

    @Test
    void benchProgramsTimesTheFirstOpenAndTheEverydayImportsBesidePython() throws Exception {
        Run r = cli("bench", "programs", "--samples", "2", "--run-warmup", "0", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode figures = new ObjectMapper().readTree(r.out()).path("figures");
        assertThat(figures).hasSize(3);
        for (int i = 0; i < 2; i++) {
            JsonNode figure = figures.get(i);
            assertThat(figure.path("name").asText()).startsWith(i == 0 ? "first open() of a file in /tmp"
                    : "import of 28 everyday modules");
            assertThat(figure.path("value").asDouble()).isPositive();
            assertThat(figure.path("baseline").asText()).startsWith("python3");
            assertThat(figure.path("ratio").asDouble()).isPositive();
            assertThat(figure.path("met").isBoolean()).isTrue();
        }
        // The whole run holds the import it timed.
        assertThat(figures.get(2).path("value").asDouble()).isGreaterThanOrEqualTo(figures.get(1).path("value").asDouble());
    }

    @Test
    void benchServiceLoadsANewServerOverHttpBesidePython() throws Exception {
        Run r = cli("bench", "service", "--service-seconds", "5", "--isolation", "in-process", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode figures = new ObjectMapper().readTree(r.out()).path("figures");
        List<String> names = new ArrayList<>();
        figures.forEach(f -> names.add(f.path("name").asText()));
        assertThat(names).hasSize(9);
        assertThat(names.get(0)).isEqualTo("service (isolation in-process): a new cordon serve listening after");
        assertThat(figures.get(0).path("value").asDouble()).isPositive();
        // The two periods of small runs, and the importing program: rates beside python3's, judged by a target.
        for (int i : new int[] {1, 2, 4}) {
            JsonNode rate = figures.get(i);
            assertThat(rate.path("unit").asText()).isEqualTo("runs/s");
            assertThat(rate.path("baseline").asText()).isEqualTo("python3");
            assertThat(rate.path("baselineValue").asDouble()).isPositive();
            assertThat(rate.path("met").isBoolean()).isTrue();
        }
        assertThat(names.get(1)).endsWith("first 5 s");
        assertThat(names.get(2)).endsWith("seconds 5 to 10");
        // A warm server answers many small runs in five seconds; the importing program at least once per client.
        assertThat(figures.get(2).path("value").asDouble()).isGreaterThan(1);
        assertThat(figures.get(4).path("value").asDouble()).isPositive();
        // The paced run's round trip holds the guest's own time.
        assertThat(figures.get(7).path("target").asText()).isEqualTo("<= 3 ms");
        assertThat(figures.get(7).path("value").asDouble())
                .isGreaterThanOrEqualTo(figures.get(8).path("value").asDouble());
    }

    @Test
    void benchStateTimesTheLocalStoreBesideARealPostgreSQLWithAndWithoutFlushedCommits(@TempDir Path dir)
            throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(PostgresServer.available(), "no PostgreSQL 15 under "
                + PostgresServer.BIN);
        Run r = cli("bench", "state", "--samples", "5", "--run-warmup", "3", "--json", "--state-database",
                StateStores.database(dir));
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode figures = r.json().path("figures");
        List<String> names = new ArrayList<>();
        figures.forEach(f -> names.add(f.path("name").asText()));
        String run = "run reading and rewriting a file in /tmp, ";
        assertThat(names).containsExactly(run + "state on this machine, median", run + "state in PostgreSQL, median",
                run + "state in PostgreSQL, synchronous_commit=off, median", run + "state on this machine, p90",
                run + "state in PostgreSQL, p90", run + "state in PostgreSQL, synchronous_commit=off, p90",
                "  PostgreSQL transactions per such run (pg_stat_database)");
        for (int i : new int[] {1, 2}) {
            assertThat(figures.get(i).path("baseline").asText()).isEqualTo("state on this machine");
            assertThat(figures.get(i).path("baselineValue").asDouble()).isPositive();
            assertThat(figures.get(i).path("target").asText()).isEqualTo("<= 3 ms more");
            assertThat(figures.get(i).path("met").isBoolean()).isTrue();
        }
        // The file's lookup with its bytes, the open to write's lookup, the commit: three (200 runs count 3.05; in
        // five, what the warm-up's connections report late adds one or two), never none.
        assertThat(figures.get(6).path("value").asDouble()).isBetween(2.0, 8.0);
    }

    @Test
    void benchZoobarViewsEachBundledProfileOnANewServerBesideAProfileThatIsPass() throws Exception {
        Run r = cli("bench", "zoobar", "--samples", "2", "--run-warmup", "0", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode figures = r.json().path("figures");
        List<String> names = new ArrayList<>();
        figures.forEach(f -> names.add(f.path("name").asText()));
        assertThat(names).hasSize(3 + 2 * 5);
        assertThat(names.get(1)).isEqualTo("zoobar: views whose profile failed, of the 12 timed");
        // Counted and judged, not required here: right after one round of warm-up a busy CI machine may still take
        // a view past its profile's 2 s.
        assertThat(figures.get(1).path("met").isBoolean()).isTrue();
        assertThat(names.get(2)).startsWith("zoobar: a user's page whose profile is `pass`");
        for (String profile : List.of("hello-user", "visit-tracker", "last-visits", "xfer-tracker", "granter")) {
            JsonNode row = figures.get(names.indexOf("zoobar: a user's page with the `" + profile + "` profile, median"));
            assertThat(row.path("value").asDouble()).isPositive();
            assertThat(row.path("baselineValue").asDouble()).isEqualTo(figures.get(2).path("value").asDouble());
            assertThat(row.path("target").asText()).isEqualTo("< 50 ms");
        }
    }

    @Test
    void benchPrintsItsFiguresAsJsonWithTheirBaselines() throws Exception {
        Run r = cli("bench", "run", "--samples", "3", "--run-warmup", "0", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(r.out());
        JsonNode figures = report.path("figures");
        // Six figures, and two more for the PyPy sandbox backend when a binary is configured.
        String pypy = System.getenv(dev.cordon.Backend.PYPY_VARIABLE);
        assertThat(figures).hasSize(pypy == null || pypy.isBlank() ? 6 : 8);
        // The baseline is the real interpreter, resolved once, never a version manager's shell script.
        String python = report.path("python3").asText();
        assertThat(python).contains("(CPython 3.");
        Path interpreter = Path.of(python.substring(0, python.indexOf(" (")));
        assertThat(Files.isExecutable(interpreter)).as(python).isTrue();
        byte[] head = new byte[2];
        try (java.io.InputStream in = Files.newInputStream(interpreter)) {
            assertThat(in.read(head)).isEqualTo(2);
        }
        assertThat(new String(head, java.nio.charset.StandardCharsets.ISO_8859_1)).as("a script").isNotEqualTo("#!");
        JsonNode prepared = figures.get(2);
        assertThat(prepared.path("name").asText()).isEqualTo("small run, fresh context prepared ahead, median");
        assertThat(prepared.path("unit").asText()).isEqualTo("ms");
        assertThat(prepared.path("value").asDouble()).isPositive();
        assertThat(prepared.path("baseline").asText()).startsWith("python3");
        assertThat(prepared.path("ratio").asDouble()).isPositive();
        assertThat(prepared.path("met").isBoolean()).isTrue();
        assertThat(cli("bench", "nonsense").exit()).isEqualTo(2);
        assertThat(usageError("bench", "compute", "--workloads", "richards,nope")).contains("unknown workload nope");
        assertThat(usageError("bench", "throughput", "--throughput-warmup", "-1")).contains("the warm-ups at least 0");
        assertThat(usageError("bench", "throughput", "--throughput-settle", "-1")).contains("the warm-ups at least 0");
        assertThat(usageError("bench", "state")).contains("bench state needs --state-database");
    }

    /** Runs the command, which must exit 2 (bad usage); returns what it wrote to stderr, to say what was wrong. */
    private static String usageError(String... args) {
        Run r = cli(args);
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        return r.err();
    }

    @Test
    void benchRunsTheProgramItIsGiven(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain.py");
        Files.writeString(plain, "x = sum(i + i for i in range(100))\nprint('small run', x)\n");
        Run r = cli("bench", "run", "--samples", "3", "--run-warmup", "0", "--json", "--program", plain.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        // Six figures of the GraalPy runs, and two more of the PyPy sandbox when a binary is configured.
        boolean pypy = System.getenv("CORDON_PYPY_SANDBOX") != null && !System.getenv("CORDON_PYPY_SANDBOX").isBlank();
        com.fasterxml.jackson.databind.JsonNode figures = new ObjectMapper().readTree(r.out()).path("figures");
        assertThat(figures).hasSize(pypy ? 8 : 6);
        assertThat(figures.get(figures.size() - 1).path("name").asText()).contains(pypy ? "PyPy sandbox" : "session");
        // The program is what runs in the sandbox: one that python3 runs but Cordon refuses stops the benchmark.
        Path reading = dir.resolve("reading.py");
        Files.writeString(reading, "print(len(open('/etc/passwd').read()))\n");
        assertThat(usageError("bench", "run", "--samples", "3", "--run-warmup", "0", "--program", reading.toString()))
                .contains("a benchmark run failed").contains("/etc/passwd");
        assertThat(usageError("bench", "run", "--program", dir.resolve("none.py").toString()))
                .contains("--program: cannot read").contains("none.py");
    }

    @Test
    void benchThroughputCountsAfterItsWarmUpAndReportsTheWarmUpRateBeside() throws Exception {
        Run r = cli("bench", "throughput", "--seconds", "1", "--throughput-warmup", "1", "--throughput-settle", "1",
                "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode figures = new ObjectMapper().readTree(r.out()).path("figures");
        List<String> names = new ArrayList<>();
        figures.forEach(f -> names.add(f.path("name").asText()));
        int cores = Runtime.getRuntime().availableProcessors();
        // One second at least, then at most one more while the compiler is busy (it is, in a JVM this young).
        assertThat(names).containsSubsequence("throughput, fresh context per run (" + cores + " threads, 1 s)",
                "  Truffle compiler's share of one core meanwhile", "  the same load during its 2 s of warm-up (not counted above)");
        assertThat(names.stream().filter(n -> n.contains("of warm-up (not counted above)")).count()).isEqualTo(3);
        figures.forEach(f -> {
            if (f.path("unit").asText().equals("runs/s")) {
                assertThat(f.path("value").asDouble()).as(f.path("name").asText()).isPositive();
            }
            if (f.path("name").asText().contains("compiler's share")) {
                assertThat(f.path("value").asDouble()).isNotNegative();
            }
        });
    }

    @Test
    void benchComputeTimesAWorkloadWarmedUpInOneRunBesideCPython() throws Exception {
        Run r = cli("bench", "compute", "--workloads", "fannkuch", "--compute-warmup", "1", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode figures = new ObjectMapper().readTree(r.out()).path("figures");
        assertThat(figures).hasSize(2);
        JsonNode fannkuch = figures.get(0);
        assertThat(fannkuch.path("name").asText()).isEqualTo("compute: fannkuch (best of 5 after 1 s of warm-up)");
        assertThat(fannkuch.path("value").asDouble()).isPositive();
        assertThat(fannkuch.path("baseline").asText()).startsWith("python3");
        assertThat(figures.get(1).path("name").asText()).startsWith("compute: geometric mean");
        assertThat(figures.get(1).path("value").asDouble()).isEqualTo(fannkuch.path("ratio").asDouble(), within(1e-9));
    }

    @Test
    void serveRefusesAMissingOrBadConfigurationWithExit2(@TempDir Path dir) throws Exception {
        assertThat(cli("serve").exit()).isEqualTo(2);
        assertThat(usageError("serve", "--config", dir.resolve("none.json").toString()))
                .contains("cannot read the configuration");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"clients\": {\"c\": {\"key\": \"short\", \"principal\": \"p\"}}}");
        assertThat(usageError("serve", "--config", bad.toString()))
                .contains("bad.json").contains("client c: a key must be at least 16 characters");
    }

    @Test
    void mountsAreVisibleOnlyWhenGranted(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("data.txt"), "shared data");
        Run granted = cli("run", "--mount", "/data=" + dir, "--grant", "fs.read:/data", "-c", "print(open('/data/data.txt').read())");
        assertThat(granted.out()).isEqualTo("shared data\n");
        Run ungranted = cli("run", "--mount", "/data=" + dir, "-c", "print(open('/data/data.txt').read())");
        assertThat(ungranted.exit()).isEqualTo(1);
        assertThat(ungranted.err()).contains("FileNotFoundError");
        Run write = cli("run", "--mount", "/data=" + dir, "--grant", "fs.read:/data", "-c", "open('/data/new.txt', 'w')");
        assertThat(write.err()).contains("PermissionError");
        assertThat(dir.resolve("new.txt")).doesNotExist();
    }

    @Test
    void eachPrincipalKeepsItsTmpAcrossInvocations(@TempDir Path data) {
        String script = Path.of("..", "examples", "scripts", "visits.py").toString();
        String dir = data.toString();
        assertThat(cli("run", "--data-dir", dir, "--grant", "fs.tmp", "--principal", "test1", script).out())
                .isEqualTo("visit number 1\n");
        assertThat(cli("run", "--data-dir", dir, "--grant", "fs.tmp", "--principal", "test1", script).out())
                .isEqualTo("visit number 2\n");
        assertThat(cli("run", "--data-dir", dir, "--grant", "fs.tmp", "--principal", "test1/.", script).out())
                .isEqualTo("visit number 1\n");
        Run noGrant = cli("run", "--data-dir", dir, "--principal", "test1", script);
        assertThat(noGrant.exit()).isEqualTo(1);
        assertThat(noGrant.err()).contains("FileNotFoundError");
    }

    @Test
    void writesAndLinksOutsideTmpAreRefusedThroughTheCli(@TempDir Path data) throws Exception {
        Run r = cli("run", "--json", "--data-dir", data.toString(), "--grant", "fs.tmp", "-c", """
                import errno, os
                out = []
                for attempt in (lambda: open('/tmp/../../evil', 'w'), lambda: os.mkdir('/tmp/../x'),
                                lambda: os.symlink('/etc/passwd', '/tmp/p'), lambda: os.rename('/tmp', '/t')):
                    try:
                        attempt()
                        out.append('ok')
                    except OSError as e:
                        out.append(errno.errorcode[e.errno])
                print(out)
                """);
        assertThat(r.exit()).isEqualTo(0);
        assertThat(r.json().get("stdout").asText()).isEqualTo("['EACCES', 'EACCES', 'EPERM', 'EACCES']\n");
        assertThat(r.json().get("events").toString()).contains("DENIED");
    }

    @Test
    void tmpQuotaFlagsApply(@TempDir Path data) {
        Run r = cli("run", "--data-dir", data.toString(), "--grant", "fs.tmp", "--tmp-quota", "1KB",
                "--tmp-entries", "3", "-c", """
                import errno, os
                try:
                    with open('/tmp/f', 'wb') as f:
                        f.write(b'x' * 2048)
                except OSError as e:
                    print(errno.errorcode[e.errno])
                for i in range(4):
                    try:
                        os.mkdir('/tmp/d%d' % i)
                    except OSError as e:
                        print(i, errno.errorcode[e.errno])
                """);
        assertThat(r.out()).isEqualTo("EDQUOT\n3 EDQUOT\n");
    }

    @Test
    void servicesAreDeclaredAndGrantedOnTheCommandLine(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("app.db");
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var st = c.createStatement()) {
            st.execute("CREATE TABLE t (x INTEGER)");
            st.execute("INSERT INTO t VALUES (1), (2)");
        }
        String url = "db=jdbc:sqlite:" + db;
        Run read = cli("run", "--service", url, "--service", "cache=kv", "--grant", "gateway:db", "--grant",
                "gateway:cache", "-c", """
                from cordon import gateway
                c = gateway.connect('cache'); c.call('set', 'k', 1)
                print(gateway.connect('db').query('SELECT sum(x) AS s FROM t'), c.call('get', 'k'))
                """);
        assertThat(read.out()).isEqualTo("[{'s': 3}] 1\n");
        Run refused = cli("run", "--service", url, "--grant", "gateway:db", "-c",
                "from cordon import gateway\ngateway.connect('db').execute('DELETE FROM t')");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("PermissionError: this database is read-only");
        Run written = cli("run", "--service", url, "--writable", "db", "--grant", "gateway:db", "-c",
                "from cordon import gateway\nprint(gateway.connect('db').execute('DELETE FROM t WHERE x = ?', [1]))");
        assertThat(written.out()).isEqualTo("{'rowcount': 1}\n");
        Run ungranted = cli("run", "--service", url, "-c", "from cordon import gateway\ngateway.connect('db')");
        assertThat(ungranted.err()).contains("PermissionError: gateway:db was not granted");
        assertThat(cli("run", "--service", "x=bogus", "-c", "1").exit()).isEqualTo(2);
        assertThat(cli("run", "--grant", "gateway:nothing", "-c", "1").exit()).isEqualTo(2);
        assertThat(cli("run", "--writable", "db", "-c", "1").exit()).isEqualTo(2);
    }
}
