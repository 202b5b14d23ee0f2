package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.Service;
import dev.cordon.capabilities.services.KeyValueService;
import dev.cordon.capabilities.services.ServiceSpecs;
import dev.cordon.capabilities.services.StateDatabase;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code kv} service of a service whose state is in PostgreSQL (a real server): the guest gets the same
 * answers as from the in-memory {@code kv}, each principal its own keys unless shared, and increments from two
 * nodes at once all count.
 */
class PostgresKeyValueTest {

    @TempDir
    static Path dir;
    static DataSource database;
    static Cordon cordon;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(PostgresServer.available(), "no PostgreSQL 15 under " + PostgresServer.BIN);
        database = StateDatabase.pool(StateStores.database(dir), "cordon", null, 4);
        cordon = Cordon.builder().service("cache", ServiceSpecs.parse("cache", "kv", false, database))
                .service("shared", ServiceSpecs.parse("shared", "kv:shared", false, database))
                .service("local", KeyValueService.builder().build())
                .defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cordon != null) {
            cordon.close();
            ((AutoCloseable) database).close();
        }
    }

    private static ExecutionResult run(String principal, String service, String code) {
        return cordon.run(Execution.builder().principal(principal).grant("gateway:" + service).param("service", service)
                .code(code).build());
    }

    @Test
    void aGuestGetsTheSameAnswersAsFromTheInMemoryStore() {
        ExecutionResult inDatabase = run("alice", "cache", MemcachedTest.PROGRAM);
        ExecutionResult inMemory = run("alice", "local", MemcachedTest.PROGRAM);
        assertThat(inDatabase.status()).as(inDatabase.toString()).isEqualTo(Status.OK);
        assertThat(inMemory.status()).as(inMemory.toString()).isEqualTo(Status.OK);
        assertThat(inDatabase.stdout()).isEqualTo(inMemory.stdout())
                .startsWith("[None, {'name': 'zoobar', 'tags': ['a', 'b'], 'n': 3.5, 'none': None}, 1, 42, -8, True, False, ");
    }

    @Test
    void eachPrincipalHasItsOwnKeysUnlessTheServiceIsShared() {
        MemcachedTest.assertOwnKeysUnlessShared(cordon, "cache", "shared");
    }

    @Test
    void incrementsFromTwoNodesAtOnceAllCountAndTimesToLiveHold() throws Exception {
        DataSource other = StateDatabase.pool(StateStores.database(dir), "cordon", null, 4);
        try {
            Service[] nodes = {ServiceSpecs.parse("counters", "kv", false, database),
                    ServiceSpecs.parse("counters", "kv", false, other)};
            CallContext ctx = new CallContext(new Principal("counter"), "x", "counters");
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Service node = nodes[t % 2];
                all.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 50; i++) {
                        try {
                            node.call(ctx, "incr", List.of("n"));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(((Number) nodes[1].call(ctx, "get", List.of("n"))).longValue()).isEqualTo(400L);
            nodes[0].call(ctx, "set", List.of("short", 1, 1));
            assertThat(((Number) nodes[1].call(ctx, "incr", List.of("short"))).longValue()).isEqualTo(2L);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (nodes[1].call(ctx, "get", List.of("short")) != null) {
                assertThat(System.nanoTime()).as("the entry expired").isLessThan(until);
                Thread.sleep(100);
            }
            assertThat(((Number) nodes[0].call(ctx, "incr", List.of("short"))).longValue()).isEqualTo(1L);
        } finally {
            ((AutoCloseable) other).close();
        }
    }
}
