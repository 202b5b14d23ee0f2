package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Json;
import dev.cordon.client.CordonClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hard limits in worker-process isolation, against a real {@code cordon serve} whose own heap is 256 MB: the
 * programs GraalPy cannot cancel and the operation guard cannot see (operators reached by a computed name) and a
 * 1 GB SQL value, at 2 s and 64 MB, each answered within its limit and a quarter second, its worker killed and
 * replaced, while a well-behaved tenant beside them keeps succeeding at close to its own speed.
 */
class WorkerIsolationTest {

    private static final List<String> HOSTILE = List.of(
            "getattr(7, '__p' + 'ow__')(10**8)",
            "getattr([0], '__m' + 'ul__')(3 * 10**8)",
            "getattr(1, 'to_' + 'bytes')(1500000000, 'big')",
            "getattr('%0999999999d', '__m' + 'od__')(1)",
            "getattr('a' * 1000, 're' + 'place')('a', 'b' * 1000000)",
            "getattr('\\t' * 1000, 'expand' + 'tabs')(1000000)",
            "getattr('', 'jo' + 'in')(['x' * 10**6] * 1000)",
            "x = 7 ** 300000\nwhile True:\n    x = getattr(x, '__m' + 'ul__')(x)",
            "from cordon import gateway\ngateway.connect('db').query('SELECT zeroblob(1000000000) AS b')");

    @Test
    void uncancellableProgramsEndOnTimeInTheirWorkersAndTheTenantBesideThemCarriesOn(@TempDir Path dir) throws Exception {
        // A real SQLite file (a read-only service needs one that exists), named absolutely.
        Path db = dir.resolve("app.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
            c.createStatement().execute("CREATE TABLE t (x INTEGER)");
        }
        Files.writeString(dir.resolve("serve.json"), """
                {"port": 0, "dataDir": "data", "isolation": "process", "maxConcurrentRuns": 3, "maxQueuedRuns": 2,
                 "preparedContexts": 0, "services": {"db": "jdbc:sqlite:DB"},
                 "clients": {
                   "hostile": {"key": "hostile-key-0123456789", "principal": "mallory", "grants": ["gateway:db"],
                               "maxConcurrentRequests": 1, "limits": {"wallTime": "2s", "memory": "64MB"}},
                   "sql": {"key": "sql-key-0123456789abc", "principal": "mallory", "grants": ["gateway:db"],
                           "maxConcurrentRequests": 1, "limits": {"wallTime": "10s", "memory": "64MB"}},
                   "tenant": {"key": "tenant-key-0123456789", "principal": "alice",
                              "limits": {"wallTime": "20s", "memory": "64MB"}}}}
                """.replace("DB", db.toString()));
        try (ServeProcess server = new ServeProcess("256m", dir.resolve("serve.json"))) {
            URI base = server.uri();
            awaitWorkers(base, 3);
            CordonClient tenant = new CordonClient(base, "tenant-key-0123456789");
            CordonClient hostile = new CordonClient(base, "hostile-key-0123456789");
            CordonClient sqlClient = new CordonClient(base, "sql-key-0123456789abc");
            String small = "print(sum(i * i for i in range(1000)))";
            for (int i = 0; i < 5; i++) {
                tenant.run(CordonClient.request(small));
            }
            List<Long> alone = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                alone.add(timed(tenant, small));
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Long> beside = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> tenantLoop = CompletableFuture.runAsync(() -> {
                // A tenant that calls ten times a second or so, as a user's requests arrive: a closed loop on two
                // cores would leave the replacement workers' start-up no processor to run on.
                while (!stop.get()) {
                    beside.add(timed(tenant, small));
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            });
            List<String> failures = new ArrayList<>();
            for (String program : HOSTILE) {
                // The previous program's worker is being replaced: the hostile call is timed from when a worker is
                // free for it (the tenant holds another), as a call is when the service has capacity.
                awaitWorkers(base, 2);
                long start = System.nanoTime();
                // The SQL blob has 10 s: its first gateway call in a fresh worker of this JIT-less server took
                // about 2 s of start-up alone, and past 5 s on a loaded machine (2026-12-06); what it tests is
                // that the 1 GB never reaches any heap.
                boolean sql = program.contains("gateway");
                long limit = sql ? 10_000 : 2_000;
                ExecutionResult r = sql ? sqlClient.run(CordonClient.request(program).grant("gateway:db"))
                        : hostile.run(CordonClient.request(program));
                long millis = (System.nanoTime() - start) / 1_000_000;
                // A limit's status; for the SQL blob, the service's refusal of a value past its bound (SQLite's
                // own length limit, before it allocates), which the call may catch.
                boolean answered = sql ? r.status() == Status.ERROR && r.error().message().contains("too big")
                        : r.status() != Status.OK && r.status() != Status.ERROR && r.status() != Status.INTERNAL;
                // Its limit and the 250 ms grace, and 250 ms for HTTP on loopback and the answer's JSON.
                if (!answered || millis > limit + 250 + 250) {
                    failures.add(program + ": " + r.status() + " " + r.error() + " after " + millis + " ms");
                }
                long freed = awaitIdleSlots(base, 500);
                if (freed < 0) {
                    failures.add(program + ": its slot was still busy 500 ms after its answer");
                }
            }
            stop.set(true);
            tenantLoop.get(60, TimeUnit.SECONDS);
            assertThat(failures).isEmpty();
            assertThat(beside).isNotEmpty();
            // Beside the hostile calls, replacement workers start on the same two cores: the tenant's median rose
            // from 108 to 224 ms on a loaded CI machine (2026-12-06). A neighbour that stalled the service, or
            // took the tenant's worker, would cost seconds or fail the call.
            assertThat(median(beside)).as("tenant median alone %d ms", median(alone))
                    .isLessThanOrEqualTo(Math.max(3 * median(alone), median(alone) + 100));
            assertThat(server.isAlive()).isTrue();
            assertThat(server.log()).noneMatch(l -> l.contains("OutOfMemoryError"));
        }
    }

    private static long timed(CordonClient c, String code) {
        long start = System.nanoTime();
        try {
            ExecutionResult r = c.run(CordonClient.request(code));
            assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static JsonNode health(URI base) throws Exception {
        return Json.MAPPER.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("v1/health"))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static void awaitWorkers(URI base, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (health(base).path("workersReady").asInt() < n) {
            assertThat(System.nanoTime()).as("%d workers ready", n).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Milliseconds until no hostile run holds a slot (the tenant may hold one), or -1 past {@code within}. */
    private static long awaitIdleSlots(URI base, long within) throws Exception {
        long start = System.nanoTime();
        while (true) {
            JsonNode h = health(base);
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (h.path("runsInFlight").asInt() <= 1) {
                return millis;
            }
            if (millis > within) {
                return -1;
            }
        }
    }
}
