package dev.cordon.engine.pypy;

import dev.cordon.Backend;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.Grants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The PyPy sandbox backend through Cordon's API, with stand-in interpreters: small bash programs that speak
 * the protocols from recorded bytes, or misbehave (spin, flood, crash, fork, break the protocol). They test
 * what does not need PyPy itself: detection, configuration, the process's life and death, limits, grants
 * and the result. {@code PyPyCrossBackendTest} runs the real interpreter when one is configured.
 */
@Timeout(60)
class PyPyBackendTest {

    @TempDir
    Path dir;

    /** Writes a stand-in interpreter: a bash script whose steps send bytes and read replies. */
    private final class Fake {
        private final List<String> lines = new ArrayList<>();
        /** What a legacy interpreter does when asked for its capabilities: it ignores the question and starts. */
        private String detection = "if [ -n \"$RPY_SANDBOX_DUMP\" ]; then printf 's\\x12\\x00\\x00\\x00ll_os.ll_os_getenv';"
                + " exit 0; fi";
        private int files;

        Fake dump(String funcs) {
            detection = "if [ -n \"$RPY_SANDBOX_DUMP\" ]; then printf 'Version: 20001\\nPlatform: linux2\\nFuncs: "
                    + funcs + "\\n'; exit 0; fi";
            return this;
        }

        /** Sends bytes, then reads the reply of the given length. */
        Fake send(byte[] bytes, int replyLength) throws IOException {
            Path f = dir.resolve("msg" + files++ + ".bin");
            Files.write(f, bytes);
            lines.add("cat " + f);
            if (replyLength > 0) {
                lines.add("head -c " + replyLength + " > /dev/null");
            }
            return this;
        }

        Fake line(String shell) {
            lines.add(shell);
            return this;
        }

        Path write() throws IOException {
            Path bin = dir.resolve("pypy-c-sandbox");
            List<String> script = new ArrayList<>(List.of("#!/bin/bash", detection, "echo $$ > " + dir + "/pid"));
            script.addAll(lines);
            Files.writeString(bin, String.join("\n", script) + "\n");
            Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(dir.resolve("lib-python"));
            Files.createDirectories(dir.resolve("lib_pypy"));
            return bin;
        }
    }

    private static byte[] legacyCall(String name, Object... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Marshal.write(out, name.getBytes(StandardCharsets.US_ASCII));
        Marshal.write(out, Marshal.Tuple.of(args));
        return out.toByteArray();
    }

    private static Marshal.Int64 i(long v) {
        return new Marshal.Int64(v);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Cordon cordon(Path binary) {
        return Cordon.builder().backend(Backend.pypySandbox(binary)).dataDir(dir.resolve("data")).build();
    }

    private static Execution.Builder call() {
        return Execution.builder().code("print('never parsed by a stand-in')").principal("alice");
    }

    @Test
    void aLegacyInterpretersOutputAndExitMakeTheResult() throws Exception {
        Path bin = new Fake().send(legacyCall("ll_os.ll_os_write", i(1), bytes("hello\n")), 10)
                .send(legacyCall("ll_os.ll_os_write", i(2), bytes("warning\n")), 10).line("exit 0").write();
        try (Cordon cordon = cordon(bin)) {
            assertThat(cordon.backend()).hasToString("pypy");
            ExecutionResult r = cordon.run(call().build());
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("hello\n");
            assertThat(r.stderr()).isEqualTo("warning\n");
        }
        assertNoProcessLeft();
    }

    @Test
    void aSandbox2InterpreterIsDetectedAndServed() throws Exception {
        // write(1, ptr, 6): the controller asks for the buffer with R (17 bytes), then sends the result (9).
        ByteArrayOutputStream call = new ByteArrayOutputStream();
        call.write("write(ipi)i".length());
        call.writeBytes(bytes("write(ipi)i"));
        call.writeBytes(Sandbox2Controller.words(1, 0x5000, 6));
        Fake fake = new Fake().dump("write(ipi)i open(pii)i");
        fake.send(call.toByteArray(), 17).send(bytes("hello\n"), 9).line("exit 0");
        try (Cordon cordon = cordon(fake.write())) {
            ExecutionResult r = cordon.run(call().build());
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("hello\n");
        }
    }

    @Test
    void fileWritesReachThePrincipalsTmpOnlyWithTheGrant() throws Exception {
        Path bin = new Fake()
                .send(legacyCall("ll_os.ll_os_open", bytes("/tmp/out.txt"), i(577), i(0644)), 10)
                .send(legacyCall("ll_os.ll_os_write", i(3), bytes("kept\n")), 10)
                .send(legacyCall("ll_os.ll_os_close", i(3)), 6).line("exit 0").write();
        try (Cordon cordon = cordon(bin)) {
            assertThat(cordon.run(call().grant("fs.tmp").build()).status()).isEqualTo(Status.OK);
            assertThat(cordon.run(call().principal("bob").build()).status()).isEqualTo(Status.OK);
        }
        try (var files = Files.walk(dir.resolve("data"))) {
            List<Path> found = files.filter(p -> p.getFileName().toString().equals("out.txt")).toList();
            assertThat(found).hasSize(1);
            assertThat(Files.readString(found.get(0))).isEqualTo("kept\n");
            assertThat(found.get(0).toString()).contains("alice");
        }
    }

    @Test
    void aSpinningInterpreterAndWhatItStartedAreKilledAtTheDeadline() throws Exception {
        Path bin = new Fake().line("sleep 300 & echo $! > " + dir + "/child").line("while :; do :; done").write();
        try (Cordon cordon = cordon(bin)) {
            long start = System.nanoTime();
            ExecutionResult r = cordon.run(call().limits(Limits.builder().wallTime(Duration.ofMillis(800)).build())
                    .build());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.status()).isEqualTo(Status.TIMEOUT);
            assertThat(ms).isLessThan(3000);
            awaitDead(Long.parseLong(Files.readString(dir.resolve("pid")).strip()));
            awaitDead(Long.parseLong(Files.readString(dir.resolve("child")).strip()));
        }
    }

    @Test
    void theInterpretersCpuTimeIsLimited() throws Exception {
        Path bin = new Fake().line("while :; do :; done").write();
        try (Cordon cordon = cordon(bin)) {
            ExecutionResult r = cordon.run(call().limits(Limits.builder().cpuTime(Duration.ofMillis(500))
                    .wallTime(Duration.ofSeconds(20)).build()).build());
            assertThat(r.status()).isEqualTo(Status.CPU_LIMIT);
            assertThat(r.usage().cpuMillis()).isGreaterThanOrEqualTo(500);
            assertThat(r.usage().wallMillis()).isLessThan(10_000);
        }
        assertNoProcessLeft();
    }

    @Test
    void anOutputFloodEndsAtTheOutputLimit() throws Exception {
        byte[] chunk = legacyCall("ll_os.ll_os_write", i(1), "x".repeat(65536).getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("chunk.bin");
        Files.write(f, chunk);
        Path bin = new Fake().line("while :; do cat " + f + "; head -c 10 > /dev/null; done").write();
        try (Cordon cordon = cordon(bin)) {
            ExecutionResult r = cordon.run(call().limits(Limits.builder().outputBytes(1 << 20).build()).build());
            assertThat(r.status()).isEqualTo(Status.OUTPUT_LIMIT);
            assertThat(r.stdoutTruncated()).isTrue();
            assertThat(r.stdout().length()).isLessThanOrEqualTo(1 << 20);
        }
        assertNoProcessLeft();
    }

    @Test
    void brokenProtocolEndsTheRunWithAClearError() throws Exception {
        Path bin = new Fake().send(legacyCall("ll_os.ll_os_write", i(1), bytes("before\n")), 10)
                .line("printf 'Zgarbage'; sleep 300").write();
        try (Cordon cordon = cordon(bin)) {
            ExecutionResult r = cordon.run(call().build());
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.error().type()).isEqualTo("SandboxProtocolError");
            assertThat(r.error().message()).contains("unknown marshal tag 0x5a");
            assertThat(r.stdout()).isEqualTo("before\n");
            assertThat(r.usage().wallMillis()).isLessThan(5000);
        }
        assertNoProcessLeft();
    }

    @Test
    void theInterpretersFatalErrorsAreReportedFromItsStderr() throws Exception {
        Path crash = new Fake().line("for i in $(seq 1 5000); do echo 'noise noise noise noise' >&2; done")
                .line("echo 'Fatal RPython error: AssertionError' >&2").line("exit 3").write();
        try (Cordon cordon = cordon(crash)) {
            ExecutionResult r = cordon.run(call().build());
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.error().type()).isEqualTo("InterpreterError");
            assertThat(r.error().message()).contains("exited with status 3: Fatal RPython error: AssertionError");
            assertThat(r.error().traceback().length()).isLessThanOrEqualTo(PyPyRun.STDERR_KEPT);
            assertThat(r.stderr()).isEmpty();
        }
        Path stub = new Fake().line("echo \"Not implemented: sandboxing for external function 'time'\" >&2")
                .line("exit 1").write();
        try (Cordon cordon = cordon(stub)) {
            ExecutionResult r = cordon.run(call().build());
            assertThat(r.status()).isEqualTo(Status.ERROR);
            assertThat(r.error().type()).isEqualTo("NotImplementedError");
            assertThat(r.error().message()).contains("external function 'time'");
        }
        Path oom = new Fake().line("echo 'Using too much memory, aborting' >&2").line("kill -ABRT $$").write();
        try (Cordon cordon = cordon(oom)) {
            ExecutionResult r = cordon.run(call().build());
            assertThat(r.status()).isEqualTo(Status.MEMORY_LIMIT);
            assertThat(r.error().type()).isEqualTo("MemoryError");
        }
    }

    @Test
    void theEnvironmentIsEmptyAndTheNameIsVirtual() throws Exception {
        Path seen = dir.resolve("seen");
        // A script cannot see its argv[0] (bash puts the script's path in $0); PyPyRun gives a real binary
        // PyPyEngine.EXECUTABLE there with exec -a.
        Path bin = new Fake().line("{ echo \"args=$*\"; echo \"cwd=$(pwd)\"; env; } > " + seen).line("exit 0").write();
        try (Cordon cordon = cordon(bin)) {
            assertThat(cordon.run(call().limits(Limits.builder().memoryBytes(64L << 20).build()).build()).status())
                    .isEqualTo(Status.OK);
        }
        String text = Files.readString(seen);
        assertThat(text).contains("args=--heapsize " + (64L << 20) + " -S " + PyPyEngine.MAIN).contains("cwd=/\n")
                .doesNotContain("HOME=").doesNotContain("USER=").doesNotContain("PATH=").doesNotContain("JAVA");
    }

    @Test
    void badConfigurationIsRefusedWhenTheCordonIsBuilt() throws Exception {
        assertThatThrownBy(() -> cordon(dir.resolve("missing")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        Path unserved = new Fake().dump("open(pii)i socket(iii)i").write();
        assertThatThrownBy(() -> cordon(unserved))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("socket(iii)i");
        Path notSandboxed = dir.resolve("python");
        Files.writeString(notSandboxed, "#!/bin/bash\necho 'Python 2.7.18'\n");
        Files.setPosixFilePermissions(notSandboxed, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> cordon(notSandboxed))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("speaks no PyPy sandbox protocol")
                .hasMessageContaining("Python 2.7.18");
        Files.delete(dir.resolve("lib_pypy"));
        Path noLibrary = dir.resolve("pypy-c-sandbox");
        assertThatThrownBy(() -> Cordon.builder().backend(Backend.pypySandbox(noLibrary)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lib_pypy");
        assertThatThrownBy(() -> Backend.fromEnvironment(Map.of("CORDON_BACKEND", "pypy")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CORDON_PYPY_SANDBOX");
        assertThatThrownBy(() -> Backend.fromEnvironment(Map.of("CORDON_BACKEND", "jython")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("graalpy or pypy");
        assertThat(Backend.fromEnvironment(Map.of())).isEqualTo(Backend.graalPy());
        assertThat(Backend.fromEnvironment(Map.of("CORDON_BACKEND", "pypy", "CORDON_PYPY_SANDBOX", "/x/y")))
                .isEqualTo(Backend.pypySandbox(Path.of("/x/y")));
    }

    @Test
    void sessionsBelongToTheInProcessBackend() throws Exception {
        Path bin = new Fake().line("exit 0").write();
        try (Cordon cordon = cordon(bin)) {
            assertThatThrownBy(() -> cordon.session("alice", Grants.none()))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("in-process");
        }
    }

    private void assertNoProcessLeft() throws Exception {
        awaitDead(Long.parseLong(Files.readString(dir.resolve("pid")).strip()));
    }

    private static void awaitDead(long pid) throws Exception {
        java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent()) {
            // onExit completes when the process has ended; a process that lingers fails the wait.
            process.get().onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("process " + pid + " alive").isFalse();
    }
}
