package dev.cordon.engine.graalpy;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Access;
import dev.cordon.capabilities.posix.GuestWorld;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A guest's own module is rewritten once for every context, by a context that runs no guest code: a guest that
 * changes its own guard changes what it compiles for itself, never the form every other context gets.
 */
class SharedModulesTest {

    private static final String MODULE = """
            state = []

            def repeat(n):
                return [0] * n
            """;

    private static GraalPyRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = GraalPyRuntime.acquire();
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void aModuleIsGuardedOnceForEveryContextAndNoGuestChangesTheSharedForm(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(lib.resolve("shmod.py"), MODULE);
        try (Cordon cordon = Cordon.builder().mount("/opt/lib", lib, Access.READ_ONLY).dataDir(dir.resolve("data"))
                .build()) {
            // The first importer turns its own guard off: what it compiles for itself is unguarded.
            ExecutionResult first = run(cordon, "mallory", """
                    from _cordon_graalpy import guard
                    guard.rewrite = lambda tree: tree
                    import sys
                    sys.path.insert(0, '/opt/lib')
                    import shmod
                    shmod.state.append('mallory')
                    print(shmod.state)
                    """);
            assertThat(first.stdout()).as("%s", first).isEqualTo("['mallory']\n");
            awaitTrue(() -> runtime.guardedCode().get("/opt/lib/shmod.py", MODULE) != null);

            // Another principal's context gets the shared form: its own rewrite is not called, the module's
            // repeat is checked (the guard's MemoryError before anything is allocated), its state is its own.
            ExecutionResult second = run(cordon, "alice", """
                    from _cordon_graalpy import guard
                    calls = []
                    real = guard.rewrite
                    guard.rewrite = lambda tree: (calls.append(1), real(tree))[1]
                    import sys
                    sys.path.insert(0, '/opt/lib')
                    import shmod
                    print(shmod.state, len(calls))
                    try:
                        shmod.repeat(10 ** 10)
                    except MemoryError as e:
                        print('refused:', 'before it started' in str(e))
                    """);
            assertThat(second.status()).as("%s", second).isEqualTo(Status.OK);
            assertThat(second.stdout()).isEqualTo("[] 0\nrefused: True\n");

            // A module whose text differs is not the shared one: compiled by the context itself.
            Files.writeString(lib.resolve("shmod.py"), MODULE + "\nextra = 1\n");
            ExecutionResult changed = run(cordon, "alice", """
                    from _cordon_graalpy import guard
                    calls = []
                    real = guard.rewrite
                    guard.rewrite = lambda tree: (calls.append(1), real(tree))[1]
                    import sys
                    sys.path.insert(0, '/opt/lib')
                    import shmod
                    print(shmod.extra, len(calls))
                    """);
            assertThat(changed.stdout()).as("%s", changed).isEqualTo("1 1\n");
        }
    }

    @Test
    void aModuleOverTheBoundIsNeverCompiledForSharing() {
        AtomicInteger compilers = new AtomicInteger();
        try (SharedModules shared = new SharedModules(new GuardedCode(1 << 20), () -> {
            compilers.incrementAndGet();
            throw new AssertionError("no compiler is needed");
        }, Duration.ofSeconds(20))) {
            assertThat(shared.form("/tmp/big.py", "x = 1\n".repeat(SharedModules.MAX_CHARS / 6 + 1))).isNull();
            assertThat(shared.form(null, "x = 1")).isNull();
            assertThat(shared.pending()).isZero();
        }
        assertThat(compilers).hasValue(0);
    }

    @Test
    void aCompilePastItsPatienceClosesThatCompilerAndTheNextModuleGetsAFreshOne() throws Exception {
        AtomicInteger compilers = new AtomicInteger();
        String world = GuestWorld.DEFAULT.toText();
        String slow = "def f(a, b):\n" + "    x = a * b\n".repeat(3_000);
        GuardedCode forms = new GuardedCode(64L << 20);
        try (SharedModules shared = new SharedModules(forms, () -> {
            compilers.incrementAndGet();
            return GraalPySandbox.prepare(runtime, world);
        }, Duration.ofMillis(1))) {
            assertThat(shared.form("/opt/lib/slow.py", slow)).isNull();
            awaitTrue(() -> shared.pending() == 0);
            assertThat(forms.get("/opt/lib/slow.py", slow)).as("stopped at its patience").isNull();
            assertThat(shared.form("/opt/lib/slow2.py", slow)).isNull();
            awaitTrue(() -> shared.pending() == 0);
            assertThat(compilers).as("a fresh compiler after the closed one").hasValue(2);
        }
        try (SharedModules shared = new SharedModules(forms, () -> GraalPySandbox.prepare(runtime, world),
                Duration.ofSeconds(60))) {
            assertThat(shared.form("/opt/lib/slow.py", slow)).isNull();
            awaitTrue(() -> shared.pending() == 0);
            assertThat(shared.form("/opt/lib/slow.py", slow)).as("compiled within its patience").startsWith("t");
        }
    }

    private static ExecutionResult run(Cordon cordon, String principal, String code) {
        return cordon.run(Execution.builder().principal(principal).grant("fs.read:/opt/lib").code(code).build());
    }

    /** Waits, up to a minute, for what a background thread does. */
    private static void awaitTrue(BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("still waiting after a minute").isLessThan(end);
            Thread.sleep(20);
        }
    }
}
