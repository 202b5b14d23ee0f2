package dev.cordon.tests;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two {@code cordon serve} nodes behind Debian's HAProxy, principals' state in Debian's PostgreSQL, one node
 * killed with SIGKILL under load and started again: every acknowledged append is there exactly once, no file
 * is torn, every ledger equals what it counts, the requests the dead node had failed cleanly within their
 * limit, and the survivor took all new traffic within 2 seconds of the kill.
 */
class ServeClusterTest {

    private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");
    private static final int PRINCIPALS = 4;
    private static final String APPEND = """
            import cordon, os
            from cordon import gateway
            seq = cordon.params['seq']
            gateway.connect('counters').call('incr', 'requests')
            with open('/tmp/log', 'a') as f:
                f.write('%d\\n' % seq)
            with open('/tmp/state.new', 'w') as f:
                f.write(str(seq % 10) * 5000)
            os.replace('/tmp/state.new', '/tmp/state')
            """;

    @Test
    void aNodeKilledUnderLoadLosesNoAcknowledgedWriteAndTheOtherTakesItsTraffic(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(PostgresServer.available(), "no PostgreSQL 15 under " + PostgresServer.BIN);
        Assumptions.assumeTrue(Files.isExecutable(HAPROXY), "no HAProxy at " + HAPROXY);
        String url = StateStores.database(dir);
        int[] ports = {freePort(), freePort(), freePort()};
        StringBuilder clients = new StringBuilder();
        for (int i = 0; i < PRINCIPALS; i++) {
            clients.append(i == 0 ? "" : ", ").append("""
                    "c%d": {"key": "cluster-key-%d-0123456789", "principal": "user%d", "grants": ["fs.tmp", "gateway:counters"],
                            "maxConcurrentRequests": 4, "limits": {"wallTime": "10s", "memory": "128MB"}}"""
                    .formatted(i, i, i));
        }
        for (String node : List.of("a", "b")) {
            Files.writeString(dir.resolve(node + ".json"), """
                    {"dataDir": "%s", "isolation": "in-process", "maxConcurrentRuns": 4, "maxQueuedRuns": 16,
                     "state": {"postgres": {"url": "%s", "user": "cordon", "maxConnections": 4}},
                     "services": {"counters": "kv"},
                     "clients": {%s}}
                    """.formatted(dir.resolve("node-" + node), url, clients));
        }
        Files.writeString(dir.resolve("haproxy.cfg"), """
                global
                  maxconn 256
                defaults
                  mode http
                  timeout connect 1s
                  timeout client 30s
                  timeout server 30s
                  retries 2
                  option redispatch 1
                frontend cordon
                  bind 127.0.0.1:%d
                  default_backend nodes
                backend nodes
                  balance roundrobin
                  option httpchk GET /v1/ready
                  http-check expect status 200
                  default-server inter 200ms fall 2 rise 2
                  server a 127.0.0.1:%d check
                  server b 127.0.0.1:%d check
                """.formatted(ports[0], ports[1], ports[2]));
        ServeProcess a = new ServeProcess("512m", dir.resolve("a.json"), ports[1]);
        ServeProcess b = new ServeProcess("512m", dir.resolve("b.json"), ports[2]);
        Process haproxy = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", dir.resolve("haproxy.cfg").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        ExecutorService load = Executors.newFixedThreadPool(PRINCIPALS);
        try {
            URI balancer = URI.create("http://127.0.0.1:" + ports[0] + "/");
            awaitReady(balancer, a, b);
            // Each node warmed up on every principal's program first (this server runs guest code without the
            // JIT, and a cold first call takes seconds): what is measured is the failover, not a cold start.
            for (ServeProcess node : List.of(a, b)) {
                for (int i = 0; i < PRINCIPALS; i++) {
                    new CordonClient(node.uri(), "cluster-key-" + i + "-0123456789").run(CordonClient.request(APPEND)
                            .grant("fs.tmp", "gateway:counters").param("seq", -1 - node.uri().getPort()));
                }
            }

            List<Set<Long>> acknowledged = new ArrayList<>();
            List<Set<Long>> unanswered = new ArrayList<>();
            List<String> slow = new CopyOnWriteArrayList<>();
            List<String> failedAfterFailover = new CopyOnWriteArrayList<>();
            List<String> failedAroundKill = new CopyOnWriteArrayList<>();
            AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(18);
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < PRINCIPALS; i++) {
                Set<Long> acked = ConcurrentHashMap.newKeySet();
                Set<Long> failed = ConcurrentHashMap.newKeySet();
                acknowledged.add(acked);
                unanswered.add(failed);
                CordonClient client = new CordonClient(balancer, "cluster-key-" + i + "-0123456789");
                workers.add(load.submit(() -> {
                    for (long seq = 0; System.nanoTime() < end; seq++) {
                        long start = System.nanoTime();
                        String outcome;
                        try {
                            ExecutionResult r = client.run(CordonClient.request(APPEND).grant("fs.tmp", "gateway:counters")
                                    .param("seq", seq));
                            outcome = r.status() == Status.OK ? null : r.status() + " " + r.error();
                            if (outcome == null) {
                                acked.add(seq);
                            }
                        } catch (IOException e) {
                            outcome = e.toString();
                        }
                        if (outcome != null) {
                            failed.add(seq);
                        }
                        long millis = (System.nanoTime() - start) / 1_000_000;
                        if (millis > 10_000 + 3_000) {
                            slow.add(seq + " took " + millis + " ms");
                        }
                        if (outcome != null && start > killedAt.get() + TimeUnit.SECONDS.toNanos(2)) {
                            failedAfterFailover.add(seq + ": " + outcome);
                        } else if (outcome != null) {
                            failedAroundKill.add(seq + ": " + outcome);
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(4_000 + new Random().nextInt(4_000));
            killedAt.set(System.nanoTime());
            a.kill();
            Thread.sleep(2_000);
            a = new ServeProcess("512m", dir.resolve("a.json"), ports[1]);
            for (Future<?> w : workers) {
                w.get(2, TimeUnit.MINUTES);
            }

            System.out.printf("cluster: %d appends acknowledged; %d failed cleanly around the kill: %s%n",
                    acknowledged.stream().mapToInt(Set::size).sum(), failedAroundKill.size(), failedAroundKill);
            assertThat(slow).as("requests past their limit").isEmpty();
            assertThat(failedAfterFailover).as("requests sent 2 s or more after the kill").isEmpty();
            for (int i = 0; i < PRINCIPALS; i++) {
                CordonClient c = new CordonClient(balancer, "cluster-key-" + i + "-0123456789");
                ExecutionResult r = c.run(CordonClient.request("""
                        import json
                        from cordon import gateway
                        requests = gateway.connect('counters').call('get', 'requests')
                        lines = open('/tmp/log').read().split('\\n')
                        state = open('/tmp/state').read()
                        print(json.dumps({'lines': lines, 'stateLength': len(state), 'stateChars': len(set(state)),
                                          'requests': requests}))
                        """).grant("fs.tmp", "gateway:counters"));
                assertThat(r.status()).as("%s", r).isEqualTo(Status.OK);
                Map<?, ?> seen = dev.cordon.capabilities.Json.MAPPER.readValue(r.stdout(), Map.class);
                List<?> lines = (List<?>) seen.get("lines");
                assertThat(lines.get(lines.size() - 1)).as("the log ends with a whole record").isEqualTo("");
                // The warm-up's records (negative) aside.
                List<Long> records = lines.subList(0, lines.size() - 1).stream().map(l -> Long.parseLong((String) l))
                        .filter(seq -> seq >= 0).toList();
                assertThat(Set.copyOf(records)).as("user%d's records", i).hasSameSizeAs(records)
                        .containsAll(acknowledged.get(i));
                // A request the dead node had may have counted and appended before its answer was lost: never more.
                long warmUps = 2;
                assertThat(((Number) seen.get("requests")).longValue() - warmUps).as("user%d's counter", i)
                        .isBetween((long) acknowledged.get(i).size(),
                                (long) acknowledged.get(i).size() + unanswered.get(i).size());
                Set<Long> acked = acknowledged.get(i);
                Set<Long> failed = unanswered.get(i);
                assertThat(records).as("user%d's records", i).allMatch(seq -> acked.contains(seq) || failed.contains(seq));
                assertThat(acknowledged.get(i)).as("user%d's acknowledged appends", i).hasSizeGreaterThan(5);
                assertThat(seen.get("stateLength")).as("user%d's state file", i).isEqualTo(5000);
                assertThat(seen.get("stateChars")).isEqualTo(1);
            }
            assertLedgersMatch(url);
        } finally {
            load.shutdownNow();
            haproxy.destroy();
            a.close();
            b.close();
        }
    }

    private static void awaitReady(URI balancer, ServeProcess... nodes) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (ServeProcess node : nodes) {
            while (true) {
                int status = http.send(HttpRequest.newBuilder(node.uri().resolve("/v1/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    break;
                }
                assertThat(System.nanoTime()).as("node %s ready", node.uri()).isLessThan(until);
                Thread.sleep(100);
            }
        }
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(balancer.resolve("/v1/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    // Both nodes through their health checks (rise 2 at 200 ms).
                    Thread.sleep(1_000);
                    return;
                }
            } catch (IOException e) {
                // HAProxy not listening yet.
            }
            assertThat(System.nanoTime()).as("HAProxy up").isLessThan(until);
            Thread.sleep(100);
        }
    }

    /** Each principal's ledger equals the bytes of its files and the number of its entries. */
    static void assertLedgersMatch(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("""
                     SELECT p.storage_name, p.used_bytes, p.used_entries,
                            coalesce(sum(e.size) FILTER (WHERE e.kind = 'f'), 0), count(e.inode),
                            coalesce(sum(length(e.content)) FILTER (WHERE e.kind = 'f'), 0)
                     FROM cordon_principal p LEFT JOIN cordon_entry e ON e.principal = p.id
                     GROUP BY p.id""")) {
            int principals = 0;
            while (r.next()) {
                principals++;
                assertThat(r.getLong(2)).as("bytes of %s", r.getString(1)).isEqualTo(r.getLong(4));
                assertThat(r.getLong(4)).as("sizes of %s", r.getString(1)).isEqualTo(r.getLong(6));
                assertThat(r.getLong(3)).as("entries of %s", r.getString(1)).isEqualTo(r.getLong(5));
            }
            assertThat(principals).isPositive();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
