package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Json;
import dev.cordon.client.CordonClient;
import dev.cordon.serve.CodeServer;
import dev.cordon.serve.ServeConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code cordon serve} over loopback: the real server, the real client, the real GraalPy. The shared server runs
 * GraalPy in-process, so that these tests time the HTTP layer rather than worker start-up on a JVM without a JIT;
 * the servers started by single tests run in the default worker-process isolation, as do those of
 * {@link ServeBoundsTest}, {@link ServeFloodTest} and {@link WorkerIsolationTest}.
 */
class ServeTest {

    static final String ALICE = "alice-key-0123456789abcdef";
    static final String BOB = "bob-key-0123456789abcdef";
    static final String MALLORY = "mallory-key-0123456789abcdef";

    @TempDir
    static Path dir;
    static CodeServer server;
    static CordonClient alice;
    static CordonClient bob;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        server = CodeServer.start(ServeConfig.parse("""
                {"port": 0, "dataDir": "data", "maxRequestBytes": "64KB", "maxCodeBytes": "16KB",
                 "isolation": "in-process", "maxConcurrentRuns": 4, "maxQueuedRuns": 16,
                 "services": {"cache": "kv"},
                 "clients": {
                   "alice": {"key": "%s", "principal": "alice", "grants": ["fs.tmp", "gateway:cache"],
                             "limits": {"wallTime": "5s", "memory": "256MB", "output": "64KB", "threads": 2}},
                   "bob": {"keySha256": "%s", "principal": "bob", "grants": [],
                           "limits": {"wallTime": "10s", "memory": "128MB", "output": "16KB"}},
                   "mallory": {"key": "%s", "principal": "mallory", "grants": ["fs.tmp"],
                               "limits": {"wallTime": "2s"}}
                 }}
                """.formatted(ALICE, ServeConfig.sha256(BOB), MALLORY), dir));
        alice = new CordonClient(server.uri(), ALICE);
        bob = new CordonClient(server.uri(), BOB);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aClientSubmitsCodeAndGetsWhatItPrintedBack() throws Exception {
        ExecutionResult r = alice.run(CordonClient.request("""
                import cordon
                print(cordon.params['x'] * 2)
                cordon.result({'ok': True})
                """).param("x", 21));
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("42\n");
        assertThat(r.value()).isEqualTo(java.util.Map.of("ok", true));
        assertThat(r.usage().wallMillis()).isPositive();
    }

    @Test
    void theGuestsFailuresAreResultsNotRefusals() throws Exception {
        ExecutionResult e = bob.run(CordonClient.request("1/0"));
        assertThat(e.status()).isEqualTo(Status.ERROR);
        assertThat(e.error().type()).isEqualTo("ZeroDivisionError");
        ExecutionResult t = bob.run(CordonClient.request("while True: pass").limit("wallTime", "300ms"));
        assertThat(t.status()).isEqualTo(Status.TIMEOUT);
    }

    @Test
    void eachKeyRunsAsItsPrincipalWithOnlyItsGrants() throws Exception {
        assertThat(alice.run(CordonClient.request("open('/tmp/mine', 'w').write('alice was here')").grant("fs.tmp"))
                .status()).isEqualTo(Status.OK);
        assertThat(alice.run(CordonClient.request("print(open('/tmp/mine').read())").grant("fs.tmp")).stdout())
                .isEqualTo("alice was here\n");
        ExecutionResult other = new CordonClient(server.uri(), MALLORY).run(CordonClient.request(
                "import os\nprint(os.listdir('/tmp'))").grant("fs.tmp"));
        assertThat(other.stdout()).isEqualTo("[]\n");
        ExecutionResult none = alice.run(CordonClient.request("open('/tmp/mine')"));
        assertThat(none.status()).isEqualTo(Status.ERROR);
        assertThat(none.error().type()).isIn("FileNotFoundError", "PermissionError");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a grant the key does not have     | {"code": "%s", "grants": ["fs.tmp", "gateway:db"]}  | 403 | may not grant "gateway:db"
            a mount the key does not have     | {"code": "%s", "grants": ["fs.read:/etc"]}         | 403 | may not grant "fs.read:/etc"
            a longer wall time                | {"code": "%s", "limits": {"wallTime": "6s"}}        | 403 | limit "wallTime" is above
            a longer CPU time                 | {"code": "%s", "limits": {"cpuTime": "1h"}}         | 403 | limit "cpuTime" is above
            more memory                       | {"code": "%s", "limits": {"memory": "1GB"}}         | 403 | limit "memory" is above
            more output                       | {"code": "%s", "limits": {"output": "1MB"}}         | 403 | limit "output" is above
            more threads                      | {"code": "%s", "limits": {"threads": 3}}            | 403 | limit "threads" is above
            a backend the server does not offer | {"code": "%s", "backend": "pypy"}               | 403 | backend "pypy" is not offered
            a capability that does not exist  | {"code": "%s", "grants": ["fs.write:/"]}           | 400 | unknown capability
            """)
    void askingForMoreThanTheKeyMayIsRefusedAndRunsNothing(String what, String body, int status, String message)
            throws Exception {
        String marker = "escalated-" + Math.abs(what.hashCode());
        HttpResponse<String> r = post(ALICE, body.formatted("open('/tmp/" + marker + "', 'w').write('x')"));
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(error(r).path("message").asText()).contains(message);
        ExecutionResult check = alice.run(CordonClient.request(
                "import os\nprint(os.path.exists('/tmp/" + marker + "'))").grant("fs.tmp"));
        assertThat(check.stdout()).isEqualTo("False\n");
    }

    @Test
    void aRequestMayAskForTheThreadsItsKeyAllows() throws Exception {
        HttpResponse<String> r = post(ALICE, """
                {"code": "from concurrent.futures import ThreadPoolExecutor\\nwith ThreadPoolExecutor(2) as ex: print(sum(ex.map(abs, [-1, -2, -3])))",
                 "limits": {"threads": 2}}""");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"stdout\":\"6\\n\"");
    }

    @Test
    void withoutAKnownKeyNothingRuns() throws Exception {
        HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("v1/run"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"code\": \"print(1)\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(post("not-a-key", "{\"code\": \"print(1)\"}").statusCode()).isEqualTo(401);
        // Bob's configuration holds only the hash of his key: the hash itself is not a key.
        assertThat(post(ServeConfig.sha256(BOB), "{\"code\": \"print(1)\"}").statusCode()).isEqualTo(401);
        assertThatThrownBy(() -> new CordonClient(server.uri(), "forged").run(CordonClient.request("1")))
                .isInstanceOfSatisfying(CordonClient.Refused.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.code()).isEqualTo("unauthorized");
                });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not JSON                 | {"code":                                   | 400 | the body is not JSON
            an array                 | [1, 2]                                     | 400 | must be a JSON object
            no code                  | {"params": {}}                             | 400 | "code" must be a string
            code that is a number    | {"code": 7}                                | 400 | "code" must be a string
            an unknown field         | {"code": "1", "principal": "root"}         | 400 | unknown field "principal"
            params that are a list   | {"code": "1", "params": [1]}               | 400 | "params" must be an object
            grants that are a string | {"code": "1", "grants": "fs.tmp"}          | 400 | "grants" must be an array
            a grant that is a number | {"code": "1", "grants": [1]}               | 400 | capability names
            limits that are a list   | {"code": "1", "limits": [1]}               | 400 | "limits" must be an object
            an unknown limit         | {"code": "1", "limits": {"disk": "1GB"}}   | 400 | unknown limit "disk"
            a limit that is a number | {"code": "1", "limits": {"wallTime": 5}}   | 400 | must be a string
            a malformed duration     | {"code": "1", "limits": {"wallTime": "soon"}} | 400 | not a duration
            a thread count in words  | {"code": "1", "limits": {"threads": "two"}} | 400 | whole number
            a backend that is a list | {"code": "1", "backend": []}               | 400 | "backend" must be a string
            """)
    void malformedRequestsGet400WithAPreciseMessage(String what, String body, int status, String message)
            throws Exception {
        HttpResponse<String> r = post(BOB, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(error(r).path("code").asText()).isEqualTo("bad_request");
        assertThat(error(r).path("message").asText()).contains(message);
    }

    @Test
    void bodiesCodeAndNestingAreBounded() throws Exception {
        HttpResponse<String> big = post(BOB, "{\"code\": \"" + "x".repeat(70_000) + "\"}");
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(error(big).path("message").asText()).contains("larger than this server's limit of 65536 bytes");
        HttpResponse<String> code = post(BOB, "{\"code\": \"" + "#".repeat(17_000) + "\"}");
        assertThat(code.statusCode()).isEqualTo(413);
        assertThat(error(code).path("code").asText()).isEqualTo("code_too_large");
        HttpResponse<String> deep = post(BOB, "{\"code\": \"1\", \"params\": {\"p\": " + "[".repeat(1000)
                + "]".repeat(1000) + "}}");
        assertThat(deep.statusCode()).isEqualTo(400);
        assertThat(error(deep).path("message").asText()).contains("nesting depth");
        HttpResponse<String> form = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("v1/run"))
                .header("Authorization", "Bearer " + BOB).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"code\": \"1\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(form.statusCode()).isEqualTo(415);
    }

    @Test
    void wrongMethodsAndPathsAreRefusedAndHealthAndMetricsAnswer() throws Exception {
        HttpResponse<String> get = get("v1/run");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertThat(get("v2/run").statusCode()).isEqualTo(404);
        HttpResponse<String> health = get("v1/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(health.body()).path("status").asText()).isEqualTo("ok");
        bob.run(CordonClient.request("print('counted')"));
        assertThat(post("unknown-key", "{\"code\": \"1\"}").statusCode()).isEqualTo(401);
        HttpResponse<String> metrics = get("metrics");
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body()).containsPattern("cordon_runs_total\\{client=\"bob\",status=\"OK\"} [1-9]")
                .contains("cordon_http_requests_total{code=\"401\",endpoint=\"/v1/run\"}")
                .contains("cordon_run_seconds_count");
    }

    @Test
    void concurrentClientsEachGetTheirOwnResult() {
        List<CompletableFuture<ExecutionResult>> runs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int n = i;
            CordonClient c = n % 2 == 0 ? alice : bob;
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return c.run(CordonClient.request("import cordon\nprint(cordon.params['n'] ** 2)").param("n", n));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (int i = 0; i < runs.size(); i++) {
            ExecutionResult r = runs.get(i).join();
            assertThat(r.stdout()).as("%s %s", r.status(), r.error()).isEqualTo(i * i + "\n");
        }
    }

    @Test
    void overloadIsAnswered429AtOnceInsteadOfQueueing(@TempDir Path small) throws Exception {
        try (CodeServer busy = CodeServer.start(ServeConfig.parse("""
                {"port": 0, "dataDir": "data", "maxConcurrentRuns": 1, "maxQueuedRuns": 0,
                 "clients": {"c": {"key": "%s", "principal": "c", "limits": {"wallTime": "3s"}},
                             "d": {"key": "%s", "principal": "d", "limits": {"wallTime": "60s"}}}}
                """.formatted(BOB, ALICE), small))) {
            CordonClient c = new CordonClient(busy.uri(), BOB);
            CompletableFuture<ExecutionResult> spinning = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.run(CordonClient.request("while True: pass"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitHealth(busy, "runsInFlight", 1);
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(busy.uri().resolve("v1/run"))
                    .header("Authorization", "Bearer " + BOB).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"code\": \"print(1)\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
            // Answered while the spinning run still holds the only slot: refused, not queued.
            assertThat(spinning).isNotDone();
            assertThat(c.run(CordonClient.request("print(1)")).status()).isEqualTo(Status.REJECTED);
            assertThat(spinning.join().status()).isEqualTo(Status.TIMEOUT);
            // The spinning guest's thread holds its slot until its cancelled context has unwound; then the slot
            // serves again (a client whose wall time leaves a loaded machine room to boot a context).
            awaitHealth(busy, "guestThreads", 0);
            awaitHealth(busy, "runsInFlight", 0);
            ExecutionResult after = new CordonClient(busy.uri(), ALICE).run(CordonClient.request("print(1)"));
            assertThat(after.status()).as("%s", after).isEqualTo(Status.OK);
            assertThat(after.stdout()).isEqualTo("1\n");
        }
    }

    /**
     * The stated bound: beside two clients that spin until their deadline, every run of a well-behaved
     * client succeeds and its median latency stays within 5 times its median alone plus 500 ms.
     */
    @Test
    void aHostileClientDoesNotStarveTheOthers() throws Exception {
        String small = "import json\nprint(json.dumps({'n': sum(range(100))}))";
        for (int i = 0; i < 3; i++) {
            bob.run(CordonClient.request(small));
        }
        long alone = median(IntStream.range(0, 8).mapToLong(i -> timed(bob, small)).toArray());
        CordonClient mallory = new CordonClient(server.uri(), MALLORY);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch spinning = new java.util.concurrent.CountDownLatch(2);
        List<CompletableFuture<Void>> hostile = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            hostile.add(CompletableFuture.runAsync(() -> {
                while (!stop.get()) {
                    try {
                        assertThat(mallory.run(CordonClient.request("while True:\n    try:\n        pass\n"
                                + "    except BaseException:\n        pass")).status()).isEqualTo(Status.TIMEOUT);
                        spinning.countDown();
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        // Each hostile client has had one run stopped and is into its next: measure from here.
        assertThat(spinning.await(60, TimeUnit.SECONDS)).isTrue();
        long[] beside = IntStream.range(0, 8).mapToLong(i -> timed(bob, small)).toArray();
        stop.set(true);
        hostile.forEach(CompletableFuture::join);
        assertThat(median(beside)).as("median alone %d ms", alone).isLessThanOrEqualTo(5 * alone + 500);
    }

    /** Waits, at most 10 s, until the server's health reports {@code value} for {@code field}. */
    private static void awaitHealth(CodeServer s, String field, int value) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(s.uri().resolve("v1/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path(field).asInt() != value) {
            assertThat(System.nanoTime()).as("waiting for %s = %d", field, value).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static long timed(CordonClient c, String code) {
        long start = System.nanoTime();
        try {
            ExecutionResult r = c.run(CordonClient.request(code));
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("{\"n\": 4950}\n");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static long median(long[] xs) {
        long[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static HttpResponse<String> post(String key, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(server.uri().resolve("v1/run"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body()).path("error");
    }
}
