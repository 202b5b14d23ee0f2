package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Access;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Contexts booted ahead of demand: each serves one call, with exactly that call's filesystem, grants and
 * streams, and nothing of one call reaches the next.
 */
class PreparedContextsTest {

    @TempDir
    static Path dir;
    static Cordon cordon;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(Files.createDirectories(dir.resolve("shared")).resolve("motd.txt"), "hello from the host");
        cordon = Cordon.builder().dataDir(dir.resolve("data")).preparedContexts(2)
                .mount("/shared", dir.resolve("shared"), Access.READ_ONLY).defaultLimits(SharedCordon.LIMITS).build();
        awaitReady(2);
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    static void awaitReady(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (cordon.preparedContextsReady() < n) {
            assertThat(System.nanoTime()).as("contexts prepared in time").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static ExecutionResult run(String principal, String code, String... grants) throws InterruptedException {
        awaitReady(1);
        return cordon.run(Execution.builder().principal(principal).grant(grants).code(code).build());
    }

    @Test
    void aPreparedContextGetsTheFilesystemOfTheCallThatTakesIt() throws Exception {
        assertThat(run("alice", "open('/tmp/secret', 'w').write('alice only')", "fs.tmp").status()).isEqualTo(Status.OK);
        assertThat(run("alice", "print(open('/tmp/secret').read())", "fs.tmp").stdout()).isEqualTo("alice only\n");
        assertThat(run("bob", "import os\nprint(os.listdir('/tmp'))", "fs.tmp").stdout()).isEqualTo("[]\n");
        ExecutionResult noTmp = run("alice", "open('/tmp/secret')");
        assertThat(noTmp.status()).isEqualTo(Status.ERROR);
        assertThat(noTmp.error().type()).isEqualTo("FileNotFoundError");
        assertThat(run("carol", "print(open('/shared/motd.txt').read())", "fs.read:/shared").stdout())
                .isEqualTo("hello from the host\n");
        ExecutionResult notGranted = run("carol", "print(open('/shared/motd.txt').read())");
        assertThat(notGranted.error().type()).isEqualTo("FileNotFoundError");
    }

    @Test
    void nothingOneCallLeavesReachesTheNext() throws Exception {
        assertThat(run("mallory", """
                import builtins, sys, os
                builtins.print = lambda *a, **k: None
                sys.modules['json'] = None
                os.environ['LEAK'] = 'x'
                secret = 'mallory was here'
                """).status()).isEqualTo(Status.OK);
        ExecutionResult next = run("alice", """
                import json, os
                print(json.dumps({'secret': 'secret' in globals(), 'env': os.environ.get('LEAK')}))
                """);
        assertThat(next.stdout()).isEqualTo("{\"secret\": false, \"env\": null}\n");
    }

    /**
     * GraalPy delivers a context's weak reference callbacks to the thread that booted it: a context prepared ahead
     * runs its call on that thread, or the callbacks would never run (a WeakKeyDictionary would keep its dead
     * keys, a weakref.finalize would never fire), as they did not before.
     */
    @Test
    void weakReferenceCallbacksRunInAPreparedContext() throws Exception {
        ExecutionResult r = run("alice", """
                import gc, time, weakref
                class C: pass
                a, b = C(), C()
                seen = []
                keyed = weakref.WeakKeyDictionary({a: 1, b: 2})
                ref = weakref.ref(b, lambda r: seen.append('callback'))
                weakref.finalize(a, seen.append, 'finalized')
                del a, b
                deadline = time.monotonic() + 5
                while (len(keyed) or len(seen) < 2) and time.monotonic() < deadline:
                    gc.collect()
                    time.sleep(0.01)
                print(len(keyed), ref() is None, sorted(seen))
                """);
        assertThat(r.status()).as("%s", r).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("0 True ['callback', 'finalized']\n");
        assertThat(r.usage().cpuMillis()).as("the call's CPU time is its own thread's").isPositive();
    }

    @Test
    void eachCallHasItsOwnParamsStreamsAndResult() throws Exception {
        ExecutionResult r = cordon.run(Execution.builder().code("import cordon, sys\nprint(sys.stdin.read(), cordon.params['n'])\ncordon.result(cordon.params['n'] + 1)")
                .param("n", 41).stdin("from stdin").build());
        assertThat(r.stdout()).isEqualTo("from stdin 41\n");
        assertThat(r.value()).isEqualTo(42);
        awaitReady(2);
        assertThat(cordon.preparedContextsReady()).isEqualTo(2);
    }
}
