package dev.cordon.engine.pypy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.Backend;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.services.KeyValueService;
import dev.cordon.capabilities.Quota;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same guest programs (under {@code tests/src/test/resources/cross-backend/}, written for Python 2.7 and
 * 3) on every backend, with the same grants and the same expected results: the in-process GraalPy backend
 * always, and the external PyPy sandbox when {@code CORDON_PYPY_SANDBOX} names a {@code pypy-c-sandbox}
 * binary ({@code CORDON_PYPY_SANDBOX_EXTRA} may name more, separated by colons, for example one of each
 * protocol). Without one, the PyPy half is skipped and says so.
 */
@Timeout(120)
class PyPyCrossBackendTest {

    private static final Map<String, Cordon> CORDONS = new LinkedHashMap<>();
    private static Path data;

    private static synchronized Cordon cordon(String name, Backend backend) {
        return CORDONS.computeIfAbsent(name, n -> {
            try {
                if (data == null) {
                    data = Files.createTempDirectory("cordon-cross-backend");
                }
                return Cordon.builder().backend(backend).dataDir(data.resolve(n)).tmpQuota(new Quota(1 << 20, 100))
                        .service("kv", KeyValueService.builder().build()).build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @AfterAll
    static void closeAll() {
        CORDONS.values().forEach(Cordon::close);
        CORDONS.clear();
    }

    /** The PyPy sandbox binaries this run may use. */
    static List<Path> pypyBinaries() {
        List<Path> binaries = new ArrayList<>();
        for (String variable : List.of(Backend.PYPY_VARIABLE, Backend.PYPY_VARIABLE + "_EXTRA")) {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) {
                for (String p : value.split(":")) {
                    binaries.add(Path.of(p));
                }
            }
        }
        return binaries;
    }

    private static String program(String name) {
        try (InputStream in = PyPyCrossBackendTest.class.getResourceAsStream("/cross-backend/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Case(String program, Consumer<Execution.Builder> setUp, BiConsumer<ExecutionResult, String> check) {
        Case(String program, Consumer<Execution.Builder> setUp, Consumer<ExecutionResult> check) {
            this(program, setUp, (r, kind) -> check.accept(r));
        }
    }

    private static Limits limits(Duration wall, long memory, long output) {
        return Limits.builder().wallTime(wall).memoryBytes(memory).outputBytes(output).build();
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("hello.py", b -> { }, r -> {
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("hello 42 4.0\n");
        }));
        cases.add(new Case("tmp_files.py", b -> b.grant("fs.tmp"), r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("['first', 'second']\nTrue False True\n['moved.txt'] 13\ngone\n");
        }));
        cases.add(new Case("quota.py", b -> b.grant("fs.tmp").principal("frank"), r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("EDQUOT True\nFalse\nstill fits\n");
        }));
        cases.add(new Case("rename.py", b -> b.grant("fs.tmp").principal("erin"), (r, kind) -> {
            if (kind.equals("LEGACY")) {
                // A release build's os.rename is a stub: the error names the call and the build's limit.
                assertThat(r.status()).isEqualTo(Status.ERROR);
                assertThat(r.error().type()).isIn("OSError", "exceptions.OSError");
                assertThat(r.error().message()).contains("os.rename is not available in this PyPy sandbox build");
                assertThat(r.events()).anySatisfy(e -> assertThat(e.action()).isEqualTo("rename"));
            } else {
                assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
                assertThat(r.stdout()).isEqualTo("['b.txt']\n");
            }
        }));
        cases.add(new Case("persist_write.py", b -> b.grant("fs.tmp").principal("carol"), r -> {
            assertThat(r.stdout()).isEqualTo("saved\n");
        }));
        cases.add(new Case("persist_read.py", b -> b.grant("fs.tmp").principal("carol"), r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("42\n");
        }));
        cases.add(new Case("persist_read.py", b -> b.grant("fs.tmp").principal("dave"), r -> {
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.error().message()).contains("No such file");
        }));
        cases.add(new Case("denials.py", b -> { }, r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("read /etc/passwd ENOENT\nwrite /tmp without grant ENOENT\n"
                    + "create /evil EACCES\nmkdir /usr/x EACCES\nos.system EPERM\nos.kill PermissionError\n"
                    + "environ ['HOME', 'LANG', 'LOGNAME', 'PATH', 'USER']\n");
            assertThat(r.events()).anySatisfy(e -> assertThat(e.action() + " " + e.target()).isEqualTo("system id"));
        }));
        GuestWorld world = GuestWorld.DEFAULT;
        cases.add(new Case("identity.py", b -> b.grant("fs.tmp"), r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("ids " + world.pid() + " " + world.ppid() + " " + world.uid() + " "
                    + world.uid() + " " + world.gid() + " " + world.gid() + "\nuname " + String.join("|", world.uname())
                    + "\ncwd /tmp\n");
        }));
        cases.add(new Case("gateway_kv.py", b -> b.grant("gateway:kv"), r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("hello from the guest\nkv\nPermissionError\nPermissionError\n");
        }));
        cases.add(new Case("params_result.py", b -> b.param("name", "bob"), r -> {
            assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
            assertThat(r.value()).isEqualTo(Map.of("greeting", "hi bob", "sizes", List.of(3, 2)));
        }));
        cases.add(new Case("failure.py", b -> { }, r -> {
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.stdout()).isEqualTo("before\n");
            assertThat(r.error().type()).isEqualTo("ZeroDivisionError");
            assertThat(r.error().traceback()).contains("divide(1, 0)").contains("return a / b");
        }));
        cases.add(new Case("exit_code.py", b -> { }, r -> {
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.stdout()).isEqualTo("leaving\n");
            assertThat(r.error().type()).isEqualTo("SystemExit");
            assertThat(r.error().message()).isEqualTo("3");
        }));
        cases.add(new Case("stdin_echo.py", b -> b.stdin("quiet words\n"), r -> {
            assertThat(r.stdout()).isEqualTo("QUIET WORDS\n");
        }));
        cases.add(new Case("spin.py", b -> b.limits(limits(Duration.ofSeconds(2), 256L << 20, 1 << 20)), r -> {
            assertThat(r.status()).isEqualTo(Status.TIMEOUT);
            assertThat(r.usage().wallMillis()).isLessThan(4000);
        }));
        cases.add(new Case("flood.py", b -> b.limits(limits(Duration.ofSeconds(20), 256L << 20, 64 << 10)), r -> {
            assertThat(r.status()).isEqualTo(Status.OUTPUT_LIMIT);
            assertThat(r.stdoutTruncated()).isTrue();
        }));
        cases.add(new Case("memory_bomb.py", b -> b.limits(limits(Duration.ofSeconds(30), 64L << 20, 1 << 20)),
                r -> assertThat(r.status()).isEqualTo(Status.MEMORY_LIMIT)));
        return cases;
    }

    /**
     * @param kind {@code graalpy}, or the protocol of the PyPy binary, for the few programs whose result
     *             depends on what a legacy build can sandbox
     */
    private static Stream<DynamicTest> run(String backendName, Backend backend, String kind) {
        return cases().stream().map(c -> DynamicTest.dynamicTest(backendName + ": " + c.program(), () -> {
            Execution.Builder b = Execution.builder().code(program(c.program()), c.program()).principal("alice");
            c.setUp().accept(b);
            ExecutionResult r = cordon(backendName, backend).run(b.build());
            c.check().accept(r, kind);
            // The next run of the same backend works: nothing a program did outlives it.
            assertThat(cordon(backendName, backend).run(Execution.builder().code("print(1)").build()).stdout())
                    .isEqualTo("1\n");
        }));
    }

    /**
     * A test that is reported skipped, with its reason: an assumption that fails in a test factory skips the
     * container, which the build's report does not count, so a run without the binary looked complete.
     */
    private static Stream<DynamicTest> skipped(String name, String reason) {
        return Stream.of(DynamicTest.dynamicTest(name, () -> Assumptions.abort(reason)));
    }

    @TestFactory
    Stream<DynamicTest> graalPy() {
        return run("graalpy", Backend.graalPy(), "graalpy");
    }

    @TestFactory
    Stream<DynamicTest> pypySandbox() {
        List<Path> binaries = pypyBinaries();
        if (binaries.isEmpty()) {
            return skipped("pypy sandbox", "no PyPy sandbox binary: set " + Backend.PYPY_VARIABLE
                    + " to run the guest programs on the PyPy backend too");
        }
        return binaries.stream().flatMap(p -> run("pypy " + p, Backend.pypySandbox(p),
                new PyPyEngine(Backend.pypySandbox(p), GuestWorld.DEFAULT).protocol().name()));
    }

    /** Concurrent calls of different principals on each backend: every one succeeds, each in its own /tmp. */
    @TestFactory
    Stream<DynamicTest> concurrentPrincipalsStayApart() {
        List<Map.Entry<String, Backend>> backends = new ArrayList<>();
        backends.add(Map.entry("graalpy", Backend.graalPy()));
        for (Path p : pypyBinaries()) {
            backends.add(Map.entry("pypy " + p, Backend.pypySandbox(p)));
        }
        return backends.stream().map(b -> DynamicTest.dynamicTest("concurrent " + b.getKey(), () -> {
            String code = "import cordon\nme = cordon.params['me']\nwith open('/tmp/me.txt', 'w') as f:\n"
                    + "    f.write(me)\nprint(open('/tmp/me.txt').read())";
            List<java.util.concurrent.CompletableFuture<ExecutionResult>> runs = new ArrayList<>();
            // Eight calls queue for the slots and each boots its context on demand: on a loaded CI machine the
            // last ones waited past the default 10 s. What is tested is that each keeps to its own /tmp.
            Limits patient = Limits.builder().wallTime(java.time.Duration.ofSeconds(60)).build();
            for (int i = 0; i < 8; i++) {
                String me = "tenant" + i;
                runs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> cordon(b.getKey(), b.getValue())
                        .run(Execution.builder().code(code).principal(me).param("me", me).grant("fs.tmp")
                                .limits(patient).build())));
            }
            for (int i = 0; i < runs.size(); i++) {
                ExecutionResult r = runs.get(i).get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(Status.OK);
                assertThat(r.stdout()).isEqualTo("tenant" + i + "\n");
            }
        }));
    }

    /**
     * The command line of the acceptance: {@code cordon run --backend pypy --pypy-sandbox PATH
     * --principal alice --grant fs.tmp visits.py} counts alice's visits in the same /tmp as the in-process
     * backend, so runs on either backend continue one count.
     */
    @TestFactory
    Stream<DynamicTest> theCommandLineSwitchesBackendsOverOnePrincipalsTmp() {
        List<Path> binaries = pypyBinaries();
        if (binaries.isEmpty()) {
            return skipped("cli on the pypy backend", "no PyPy sandbox binary: set " + Backend.PYPY_VARIABLE);
        }
        return binaries.stream().map(p -> DynamicTest.dynamicTest("cli " + p, () -> {
            Path dataDir = Files.createTempDirectory("cordon-cli-visits");
            String script = Path.of("..", "examples", "scripts", "visits.py").toString();
            String[] pypy = {"run", "--backend", "pypy", "--pypy-sandbox", p.toString(), "--principal", "alice",
                    "--grant", "fs.tmp", "--data-dir", dataDir.toString(), script};
            String[] graal = {"run", "--principal", "alice", "--grant", "fs.tmp", "--data-dir", dataDir.toString(),
                    script};
            assertThat(cli(pypy)).isEqualTo("visit number 1\n");
            assertThat(cli(pypy)).isEqualTo("visit number 2\n");
            assertThat(cli(graal)).isEqualTo("visit number 3\n");
            assertThat(cli(pypy)).isEqualTo("visit number 4\n");
        }));
    }

    private static synchronized String cli(String... args) {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(o, true, StandardCharsets.UTF_8));
            int exit = dev.cordon.cli.Main.execute(args);
            assertThat(exit).as(o.toString(StandardCharsets.UTF_8)).isZero();
            return o.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(out);
        }
    }
}
