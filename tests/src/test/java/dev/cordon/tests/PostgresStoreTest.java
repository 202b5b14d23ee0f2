package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Quota;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two Cordons on one PostgreSQL database, as two nodes of a service: a principal's {@code /tmp} is the same on
 * both, its quota holds across both at once, appends from both at the same time are all kept once, a reader on
 * one never sees a file the other is writing half-written, and the ledger always equals what it counts.
 */
class PostgresStoreTest {

    @TempDir
    static Path nodeA;
    @TempDir
    static Path nodeB;

    static Cordon a;
    static Cordon b;
    static String url;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(PostgresServer.available(), "no PostgreSQL 15 under " + PostgresServer.BIN);
        url = StateStores.database(nodeA);
        a = node(nodeA);
        b = node(nodeB);
    }

    private static Cordon node(Path dir) {
        return Cordon.builder().dataDir(dir).stateDatabase(url, "cordon", null)
                .tmpQuota(new Quota(300_000, 100)).defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
            b.close();
        }
    }

    private static ExecutionResult run(Cordon node, String principal, String code) {
        ExecutionResult r = SharedCordon.run(node, principal, code, "fs.tmp");
        assertThat(r.status()).as("%s", r).isEqualTo(Status.OK);
        return r;
    }

    @Test
    void whatOneNodeWritesTheOtherReadsAndTheQuotaCountsBoth() {
        run(a, "shared", "open('/tmp/note', 'w').write('from a'); import os; os.makedirs('/tmp/d/e')");
        assertThat(run(b, "shared", "import os; print(open('/tmp/note').read(), sorted(os.listdir('/tmp')), os.path.isdir('/tmp/d/e'))")
                .stdout()).isEqualTo("from a ['d', 'note'] True\n");
        run(a, "shared", "open('/tmp/big', 'wb').write(b'x' * 200_000)");
        assertThat(run(b, "shared", """
                import errno
                try:
                    with open('/tmp/big2', 'wb') as f:
                        f.write(b'y' * 200_000)
                except OSError as e:
                    print(errno.errorcode[e.errno])
                import os
                print(os.path.exists('/tmp/big2'), os.path.getsize('/tmp/big'))
                """).stdout()).isEqualTo("EDQUOT\nFalse 200000\n");
        assertThat(run(b, "other", "import os; print(os.listdir('/tmp'))").stdout()).isEqualTo("[]\n");
        assertLedgersMatch();
    }

    @Test
    void aFileAnotherNodeCreatedOrReplacedJustNowIsReadAtOnce() {
        run(a, "recent", "import os; print(os.path.exists('/tmp/late'))");
        run(b, "recent", "open('/tmp/late', 'w').write('made on b')");
        assertThat(run(a, "recent", "print(open('/tmp/late').read())").stdout()).isEqualTo("made on b\n");
        run(b, "recent", "open('/tmp/new', 'w').write('second'); import os; os.replace('/tmp/new', '/tmp/late')");
        assertThat(run(a, "recent", "print(open('/tmp/late').read())").stdout()).isEqualTo("second\n");
    }

    /**
     * An open to read gets a small file's bytes with its lookup, in one query; a lookup answered from the last
     * 0.25 s (a {@code stat} just before) carries no bytes, so they are read then: either way, the bytes another
     * node committed last, small or large, whatever this node looked up before.
     */
    @Test
    void aFileAnotherNodeRewroteIsReadWithItsNewBytesEvenRightAfterALookupHere() {
        for (int size : new int[] {10, 100_000}) {
            run(a, "rewrite", "open('/tmp/f', 'w').write('a' * %d)".formatted(size));
            String check = "import os; s = open('/tmp/f').read(); print(os.stat('/tmp/f').st_size, len(s), set(s))";
            assertThat(run(b, "rewrite", check).stdout()).isEqualTo(size + " " + size + " {'a'}\n");
            run(b, "rewrite", "open('/tmp/f', 'w').write('b' * %d)".formatted(size));
            assertThat(run(a, "rewrite", check).stdout()).isEqualTo(size + " " + size + " {'b'}\n");
        }
    }

    @Test
    void appendsFromBothNodesAtOnceAreEachKeptOnce() {
        String append = """
                import cordon
                for i in range(100):
                    with open('/tmp/log', 'a') as f:
                        f.write('%s %d\\n' % (cordon.params['run'], i))
                """;
        List<CompletableFuture<ExecutionResult>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Cordon node = i % 2 == 0 ? a : b;
            Execution e = Execution.builder().principal("appender").grant("fs.tmp").code(append)
                    .param("run", "r" + i).build();
            runs.add(CompletableFuture.supplyAsync(() -> node.run(e)));
        }
        runs.forEach(f -> assertThat(f.join().status()).as("%s", f.join()).isEqualTo(Status.OK));
        assertThat(run(b, "appender", """
                lines = open('/tmp/log').read().splitlines()
                print(len(lines), len(set(lines)), sorted(set(l.split()[0] for l in lines)))
                """).stdout()).isEqualTo("400 400 ['r0', 'r1', 'r2', 'r3']\n");
        assertLedgersMatch();
    }

    @Test
    void aReaderOnOneNodeNeverSeesAFileTheOtherIsWritingHalfWritten() {
        run(a, "versions", "open('/tmp/v', 'w').write('0' * 40_000)");
        CompletableFuture<ExecutionResult> writer = CompletableFuture.supplyAsync(() -> run(a, "versions", """
                for v in range(1, 30):
                    with open('/tmp/v', 'w') as f:
                        for _ in range(4):
                            f.write(str(v % 10) * 10_000)
                            f.flush()
                """));
        ExecutionResult reader = run(b, "versions", """
                torn = 0
                for _ in range(60):
                    s = open('/tmp/v').read()
                    if len(s) != 40_000 or len(set(s)) != 1:
                        torn += 1
                print('torn', torn)
                """);
        writer.join();
        assertThat(reader.stdout()).isEqualTo("torn 0\n");
        assertThat(run(b, "versions", "s = open('/tmp/v').read(); print(len(s), set(s))").stdout())
                .isEqualTo("40000 {'9'}\n");
    }

    @Test
    void aRunStoppedAtItsLimitLeavesWhatItWroteAsIfItsFilesWereClosed() {
        ExecutionResult r = a.run(Execution.builder().principal("stopped").grant("fs.tmp")
                .limits(SharedCordon.LIMITS.toBuilder().wallTime(Duration.ofSeconds(2)).cpuTime(Duration.ofSeconds(2)).build())
                .code("""
                        with open('/tmp/closed', 'w') as f:
                            f.write('kept')
                        f = open('/tmp/open', 'w')
                        f.write('written')
                        f.flush()
                        while True:
                            pass
                        """).build());
        assertThat(r.status()).isEqualTo(Status.TIMEOUT);
        assertThat(run(b, "stopped", "print(open('/tmp/closed').read(), repr(open('/tmp/open').read()))").stdout())
                .isEqualTo("kept 'written'\n");
        assertLedgersMatch();
    }

    @Test
    void aDatabaseThatCannotBeReachedIsAClearRefusalOfTheGrant(@TempDir Path dir) {
        try (Cordon unreachable = Cordon.builder().dataDir(dir)
                .stateDatabase("jdbc:postgresql://127.0.0.1:1/none", "cordon", null)
                .defaultLimits(SharedCordon.LIMITS).build()) {
            assertThat(SharedCordon.run(unreachable, "p", "print('no tmp needed')").stdout()).isEqualTo("no tmp needed\n");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> SharedCordon.run(unreachable, "p", "print(1)", "fs.tmp"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot prepare the state database");
        }
    }

    private static void assertLedgersMatch() {
        try {
            ServeClusterTest.assertLedgersMatch(url);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
