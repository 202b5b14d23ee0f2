package dev.cordon.engine.graalpy;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Access;
import dev.cordon.capabilities.posix.GuestWorld;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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

    /** Imports the module with this context's own rewrite counting its calls ({@code calls}). */
    private static final String COUNTING_IMPORT = """
            from _cordon_graalpy import guard
            calls = []
            real = guard.rewrite
            guard.rewrite = lambda tree: (calls.append(1), real(tree))[1]
            import sys
            sys.path.insert(0, '/opt/lib')
            import shmod
            """;

    @RegisterExtension
    static final RuntimeExtension RUNTIME = new RuntimeExtension();

    @Test
    void aModuleIsGuardedOnceForEveryContextAndNoGuestChangesTheSharedForm(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(lib.resolve("shmod.py"), MODULE);
        try (Cordon cordon = Cordon.builder().mount("/opt/lib", lib, Access.READ_ONLY).dataDir(dir.resolve("data"))
                .build()) {
            // Imports until the compiler context has booted and made the shared form (the first imports compile
            // for themselves while it boots). Each of these guests turns its own guard off first.
            awaitTrue(() -> {
                ExecutionResult r = run(cordon, "mallory", """
                        from _cordon_graalpy import guard
                        guard.rewrite = lambda tree: tree
                        import sys
                        sys.path.insert(0, '/opt/lib')
                        import shmod
                        shmod.state.append('mallory')
                        print(shmod.state)
                        """);
                assertThat(r.stdout()).as("%s", r).isEqualTo("['mallory']\n");
                return RUNTIME.get().guardedCode().get("/opt/lib/shmod.py", MODULE) != null;
            });

            // The shared form is the guarded one whatever the guest did to its own guard: its rewrite is not
            // called, the module's repeat is checked (the guard's MemoryError before anything is allocated),
            // and the module's state is this context's own.
            for (String principal : java.util.List.of("mallory", "alice")) {
                ExecutionResult r = run(cordon, principal, """
                        from _cordon_graalpy import guard
                        guard.rewrite = lambda tree: tree
                        """ + COUNTING_IMPORT + """
                        print(shmod.state, len(calls))
                        try:
                            shmod.repeat(10 ** 10)
                        except MemoryError as e:
                            print('refused:', 'before it started' in str(e))
                        """);
                assertThat(r.status()).as("%s", r).isEqualTo(Status.OK);
                assertThat(r.stdout()).as(principal).isEqualTo("[] 0\nrefused: True\n");
            }

            // A module whose text differs is not the shared one: compiled anew (by the compiler context when it
            // is free, else by the context itself), and guarded either way.
            Files.writeString(lib.resolve("shmod.py"), MODULE + "\nextra = 1\n");
            ExecutionResult changed = run(cordon, "alice", COUNTING_IMPORT + """
                    print(shmod.extra)
                    try:
                        shmod.repeat(10 ** 10)
                    except MemoryError as e:
                        print('refused:', 'before it started' in str(e))
                    """);
            assertThat(changed.stdout()).as("%s", changed).isEqualTo("1\nrefused: True\n");
        }
    }

    @Test
    void aStandardLibraryModuleIsCompiledOnceAsWrittenAndEachContextKeepsItsOwnModule(@TempDir Path dir)
            throws Exception {
        String json = RUNTIME.get().stdlibHome() + "/json/encoder.py";
        String text = RUNTIME.get().libraryText(json);
        assertThat(text).as(json).contains("def py_encode_basestring");
        for (String outside : java.util.List.of(json.replace("/json/", "/./json/"), json.replace("/json/", "//json/"),
                RUNTIME.get().stdlibHome() + "/../../../../etc/x.py", "/etc/x.py", "/tmp/x.py")) {
            assertThat(RUNTIME.get().libraryText(outside)).as(outside).isNull();
        }
        try (Cordon cordon = Cordon.builder().mount("/opt/lib", Files.createDirectories(dir.resolve("lib")),
                Access.READ_ONLY).dataDir(dir.resolve("data")).build()) {
            // Fresh contexts import json until the compiler context has made its shared form; each changes the
            // module for itself and leaves a file in its /tmp.
            awaitTrue(() -> {
                ExecutionResult r = run(cordon, "mallory", """
                        import json.encoder, sys
                        assert json.encoder.__file__ == %s, json.encoder.__file__
                        print(getattr(json.encoder, 'planted', None), json.encoder.ESCAPE_DCT['"'])
                        json.encoder.planted = 'mallory'
                        json.encoder.ESCAPE_DCT['"'] = 'X'
                        open('/tmp/mallory.txt', 'w').write('mine')
                        """.formatted("'" + json + "'"));
                assertThat(r.stdout()).as("%s", r).isEqualTo("None \\\"\n");
                return RUNTIME.get().guardedCode().get(json, text) != null;
            });
            assertThat(RUNTIME.get().guardedCode().get(json, text).isSource()).as("marshalled, as written").isFalse();
            for (String principal : java.util.List.of("mallory", "alice")) {
                ExecutionResult r = run(cordon, principal, """
                        import json, os
                        print(getattr(json.encoder, 'planted', None), json.dumps('"'), os.listdir('/tmp'))
                        """);
                assertThat(r.status()).as("%s", r).isEqualTo(Status.OK);
                assertThat(r.stdout()).as(principal)
                        .isEqualTo("None \"\\\"\" " + (principal.equals("mallory") ? "['mallory.txt']" : "[]") + "\n");
            }
            // Text that is not the library's file, under its name, is the guest's own code: guarded, not shared.
            ExecutionResult fake = run(cordon, "mallory", """
                    code = compile('x = [0] * (10 ** 10)', %s, 'exec')
                    try:
                        exec(code)
                    except MemoryError as e:
                        print('refused:', 'before it started' in str(e))
                    """.formatted("'" + json + "'"));
            assertThat(fake.stdout()).as("%s", fake).isEqualTo("refused: True\n");
        }
    }

    @Test
    void aModuleOverTheBoundIsNeverCompiledForSharing() {
        AtomicInteger compilers = new AtomicInteger();
        try (SharedModules shared = new SharedModules(new GuardedCode(1 << 20), () -> {
            compilers.incrementAndGet();
            throw new AssertionError("no compiler is needed");
        }, Duration.ofSeconds(20))) {
            Duration plenty = Duration.ofMinutes(1);
            assertThat(shared.form("/tmp/big.py", "x = 1\n".repeat(SharedModules.MAX_CHARS / 6 + 1), plenty)).isNull();
            assertThat(shared.form(null, "x = 1", plenty)).isNull();
            assertThat(shared.ready()).isFalse();
        }
        assertThat(compilers).hasValue(0);
    }

    @Test
    void aCompilePastItsTimeClosesThatCompilerAndTheNextModuleGetsAFreshOne() throws Exception {
        AtomicInteger compilers = new AtomicInteger();
        String world = GuestWorld.DEFAULT.toText();
        String slow = "def f(a, b):\n" + "    x = a * b\n".repeat(3_000);
        GuardedCode forms = new GuardedCode(64L << 20);
        Duration plenty = Duration.ofMinutes(1);
        try (SharedModules shared = new SharedModules(forms, () -> {
            compilers.incrementAndGet();
            return GraalPySandbox.prepare(RUNTIME.get(), world);
        }, Duration.ofSeconds(60))) {
            assertThat(shared.form("/opt/lib/slow.py", slow, plenty)).as("booting: the caller compiles").isNull();
            awaitTrue(shared::ready);
            // The asking call has 1 ms left: the compile stops there and closes its context.
            assertThat(shared.form("/opt/lib/slow.py", slow, Duration.ofMillis(1))).isNull();
            assertThat(forms.get("/opt/lib/slow.py", slow)).isNull();
            assertThat(shared.ready()).isFalse();
            assertThat(shared.form("/opt/lib/slow.py", slow, plenty)).as("booting again").isNull();
            awaitTrue(shared::ready);
            assertThat(compilers).as("a fresh compiler after the closed one").hasValue(2);
            assertThat(shared.form("/opt/lib/slow.py", slow, plenty)).as("compiled within its time").startsWith("t");
            assertThat(forms.get("/opt/lib/slow.py", slow)).isNotNull();
        }
    }

    @Test
    void aModuleThatDoesNotCompileIsTheImportersToReportAndTheCompilerContextStays() throws Exception {
        String world = GuestWorld.DEFAULT.toText();
        AtomicInteger compilers = new AtomicInteger();
        GuardedCode forms = new GuardedCode(1 << 20);
        Duration plenty = Duration.ofMinutes(1);
        try (SharedModules shared = new SharedModules(forms, () -> {
            compilers.incrementAndGet();
            return GraalPySandbox.prepare(RUNTIME.get(), world);
        }, Duration.ofSeconds(60))) {
            shared.form("/opt/lib/a.py", "a = 1", plenty);
            awaitTrue(shared::ready);
            assertThat(shared.form("/opt/lib/bad.py", "def f(:\n", plenty)).isNull();
            assertThat(shared.form("/opt/lib/deep.py", "x = " + "(".repeat(100_000) + ")".repeat(100_000), plenty))
                    .isNull();
            assertThat(shared.form("/opt/lib/good.py", "b = [0] * 3", plenty)).startsWith("t");
            assertThat(compilers).as("syntax errors leave the compiler context as it was").hasValue(1);
        }
    }

    private static ExecutionResult run(Cordon cordon, String principal, String code) {
        return cordon.run(Execution.builder().principal(principal).grant("fs.read:/opt/lib", "fs.tmp").code(code)
                .build());
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
