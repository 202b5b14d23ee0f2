package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.services.KeyValueService;
import dev.cordon.capabilities.services.MemcachedService;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code memcached:HOST:PORT} gateway service against a real memcached (Debian's, started here on a loopback
 * port): guest code gets the same answers as from the in-memory {@code kv} service, each principal its own keys,
 * concurrent increments stay exact, and a server that goes away is a clean error within the call's limit. CI
 * installs memcached; on a machine without it the class is skipped and says why.
 */
class MemcachedTest {

    static Process memcached;
    static int port;
    static Cordon cordon;
    static MemcachedService service;

    @BeforeAll
    static void start() throws Exception {
        Path binary = Path.of("/usr/bin/memcached");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(binary),
                "no /usr/bin/memcached on this machine (Debian's memcached package)");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-l", "127.0.0.1", "-p", String.valueOf(port),
                "-U", "0", "-m", "64"));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.addAll(List.of("-u", "root"));   // memcached refuses to run as root unless told whom to run as
        }
        memcached = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!accepts(port)) {
            assertThat(memcached.isAlive()).as("memcached is running").isTrue();
            assertThat(System.nanoTime()).as("memcached listens").isLessThan(until);
            Thread.sleep(20);
        }
        service = MemcachedService.at("127.0.0.1:" + port).timeout(Duration.ofMillis(500)).build();
        cordon = Cordon.builder().service("cache", service).service("local", KeyValueService.builder().maxValueBytes(1_000_000).build())
                .service("shared", MemcachedService.at("127.0.0.1:" + port).shared(true).build())
                .defaultLimits(SharedCordon.LIMITS).build();
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (cordon != null) {
            cordon.close();
        }
        if (memcached != null) {
            memcached.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static final String PROGRAM = """
            from cordon import gateway
            import cordon
            c = gateway.connect(cordon.params['service'])
            out = []
            out.append(c.call('get', 'missing'))
            c.call('set', 'doc', {'name': 'zoobar', 'tags': ['a', 'b'], 'n': 3.5, 'none': None})
            out.append(c.call('get', 'doc'))
            out.append(c.call('incr', 'hits'))
            out.append(c.call('incr', 'hits', 41))
            out.append(c.call('incr', 'hits', -50))
            out.append(c.call('delete', 'hits'))
            out.append(c.call('delete', 'hits'))
            c.call('set', 'big', 2**62)
            for bad in [('incr', 'doc'), ('get', ''), ('get', 'k' * 251), ('set', 'x', 1, 0), ('incr', 'big', 2**62),
                        ('frobnicate', 'x'), ('set', 'huge', 'v' * 1_100_000)]:
                try:
                    c.call(*bad)
                    out.append('accepted %s' % (bad[0],))
                except (ValueError, LookupError, PermissionError) as e:
                    out.append('%s: %s' % (type(e).__name__, str(e)[:60]))
            print(out)
            """;

    private static ExecutionResult run(String principal, String service, String code) {
        return cordon.run(Execution.builder().principal(principal).grant("gateway:" + service).param("service", service)
                .code(code).build());
    }

    @Test
    void aGuestGetsTheSameAnswersAsFromTheInMemoryStore() {
        ExecutionResult onMemcached = run("alice", "cache", PROGRAM);
        ExecutionResult inMemory = run("alice", "local", PROGRAM);
        assertThat(onMemcached.status()).as(onMemcached.toString()).isEqualTo(Status.OK);
        assertThat(inMemory.status()).as(inMemory.toString()).isEqualTo(Status.OK);
        assertThat(onMemcached.stdout()).isEqualTo(inMemory.stdout())
                .startsWith("[None, {'name': 'zoobar', 'tags': ['a', 'b'], 'n': 3.5, 'none': None}, 1, 42, -8, True, False, ");
    }

    @Test
    void eachPrincipalHasItsOwnKeysUnlessTheServiceIsShared() {
        assertOwnKeysUnlessShared(cordon, "cache", "shared");
    }

    /** On {@code cordon}'s services {@code own} (per principal) and {@code shared}: whose keys each call sees. */
    static void assertOwnKeysUnlessShared(Cordon cordon, String own, String shared) {
        String set = "from cordon import gateway\nimport cordon\ngateway.connect(cordon.params['service']).call('set', 'score', 7)";
        String get = "from cordon import gateway\nimport cordon\nprint(gateway.connect(cordon.params['service']).call('get', 'score'))";
        java.util.function.BiFunction<String, String, java.util.function.Function<String, ExecutionResult>> on =
                (principal, service) -> code -> cordon.run(Execution.builder().principal(principal)
                        .grant("gateway:" + service).param("service", service).code(code).build());
        assertThat(on.apply("alice", own).apply(set).status()).isEqualTo(Status.OK);
        assertThat(on.apply("alice", own).apply(get).stdout()).isEqualTo("7\n");
        assertThat(on.apply("bob", own).apply(get).stdout()).isEqualTo("None\n");
        assertThat(on.apply("alice", shared).apply(set).status()).isEqualTo(Status.OK);
        assertThat(on.apply("bob", shared).apply(get).stdout()).isEqualTo("7\n");
    }

    @Test
    void concurrentIncrementsAreExactAndTimesToLiveHold() throws Exception {
        CallContext ctx = new CallContext(new Principal("counter"), "x", "cache");
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            all.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 50; i++) {
                    service.call(ctx, "incr", List.of("n"));
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertThat(((Number) service.call(ctx, "get", List.of("n"))).longValue()).isEqualTo(400L);
        // An entry with a time to live keeps it through incr, and goes when it has passed (memcached's clock).
        service.call(ctx, "set", List.of("short", 1, 1));
        assertThat(((Number) service.call(ctx, "incr", List.of("short"))).longValue()).isEqualTo(2L);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (service.call(ctx, "get", List.of("short")) != null) {
            assertThat(System.nanoTime()).as("the entry expired").isLessThan(until);
            Thread.sleep(100);
        }
    }

    @Test
    void aServerThatIsGoneIsACleanErrorWithinTheLimit() throws Exception {
        MemcachedService nowhere;
        int unused;
        try (ServerSocket s = new ServerSocket(0)) {
            unused = s.getLocalPort();
        }
        nowhere = MemcachedService.at("127.0.0.1:" + unused).timeout(Duration.ofMillis(300)).build();
        try {
            CallContext ctx = new CallContext(new Principal("p"), "x", "gone");
            long start = System.nanoTime();
            assertThatThrownBy(() -> nowhere.call(ctx, "get", List.of("k"))).isInstanceOf(GatewayException.class)
                    .hasMessageContaining("memcached");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            nowhere.close();
        }
    }
}
