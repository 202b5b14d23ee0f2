package dev.cordon.tests;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;
import dev.cordon.serve.CodeServer;
import dev.cordon.serve.ServeConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a hostile client can make {@code cordon serve} hold is bounded, over loopback: a body is read whole,
 * within its size and time, before it takes a run slot; one key cannot take every slot; a duplicated JSON key is
 * refused; and a call's slot is free by the time its answer is sent.
 */
class ServeBoundsTest {

    static final String SLOW = "slow-key-0123456789abcdef";
    static final String GOOD = "good-key-0123456789abcdef";
    static final String ONE = "one-key-0123456789abcdef";

    @TempDir
    static Path dir;
    static CodeServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        server = CodeServer.start(ServeConfig.parse("""
                {"port": 0, "dataDir": "data", "maxRequestBytes": "64KB", "requestTimeout": "1s",
                 "maxConcurrentRuns": 1, "maxQueuedRuns": 3,
                 "clients": {
                   "slow": {"key": "%s", "principal": "slow", "maxConcurrentRequests": 2},
                   "good": {"key": "%s", "principal": "good", "limits": {"wallTime": "2s"}},
                   "one": {"key": "%s", "principal": "one", "maxConcurrentRequests": 1, "limits": {"wallTime": "20s"}}
                 }}
                """.formatted(SLOW, GOOD, ONE), dir));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Opens a connection and sends a request's headers and the first bytes of its body, then holds it. */
    private static Socket partial(String key, long contentLength, String firstBytes) throws IOException {
        Socket s = new Socket(server.uri().getHost(), server.uri().getPort());
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n" + firstBytes)
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    /**
     * Waits until the server holds no request of {@code client}: a test that closed a partial request leaves it
     * counted until the server has seen the connection close.
     */
    private static void awaitNoOpenRequests(String client) throws Exception {
        String prefix = "cordon_client_requests{client=\"" + client + "\"} ";
        awaitMetrics(metrics -> metrics.lines().noneMatch(l -> l.startsWith(prefix) && !l.equals(prefix + "0.0")),
                "the server still holds a request of " + client);
    }

    /** Waits until the server counts {@code n} requests of {@code client} (its headers read, its body arriving). */
    private static void awaitOpenRequests(String client, int n) throws Exception {
        String gauge = "cordon_client_requests{client=\"" + client + "\"} " + n + ".0";
        awaitMetrics(metrics -> metrics.lines().anyMatch(l -> l.equals(gauge)),
                "the server never counted the request: " + gauge + " not in");
    }

    /** Reads the server's metrics until {@code holds} says yes, for at most 30 s. */
    private static void awaitMetrics(java.util.function.Predicate<String> holds, String otherwise) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        String metrics = "";
        while (System.nanoTime() < deadline) {
            metrics = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (holds.test(metrics)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(otherwise + "\n" + metrics);
    }

    private static String statusLine(Socket s) throws IOException {
        s.setSoTimeout(20_000);
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.append((char) c);
        }
        return b.toString().strip();
    }

    private static HttpResponse<String> post(String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(server.uri().resolve("v1/run"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aContentLengthOverTheBoundIsAnswered413BeforeTheBodyIsRead() throws Exception {
        try (Socket s = partial(GOOD, 100L << 20, "{")) {
            assertThat(statusLine(s)).startsWith("HTTP/1.1 413 ");
        }
    }

    @Test
    void slowBodiesTakeNoRunSlotAndAreCutAtTheRequestTimeoutWhileOthersAreServed() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                held.add(partial(SLOW, 100, "{"));
            }
            // Beyond its own two requests, the slow key is refused at once; the others wait for their bodies.
            CordonClient good = new CordonClient(server.uri(), GOOD);
            for (int i = 0; i < 5; i++) {
                ExecutionResult r = good.run(CordonClient.request("print('served', " + i + ")"));
                assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
                assertThat(r.stdout()).isEqualTo("served " + i + "\n");
            }
            List<String> answers = new ArrayList<>();
            for (Socket s : held) {
                answers.add(statusLine(s));
            }
            assertThat(answers).filteredOn(a -> a.contains("429")).hasSize(8);
            // The two it was allowed are closed at the request timeout: no answer, or 408.
            assertThat(answers).filteredOn(a -> !a.contains("429")).allSatisfy(a -> assertThat(a).isIn("", "HTTP/1.1 408 Request Timeout"));
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertThat(new CordonClient(server.uri(), SLOW).run(CordonClient.request("print(1)")).stdout()).isEqualTo("1\n");
    }

    @Test
    void oneKeyAtItsOwnBoundIsRefusedAndTheOthersAreNot() throws Exception {
        try (Socket holding = partial(ONE, 100, "{")) {
            awaitOpenRequests("one", 1);
            HttpResponse<String> second = post(ONE, "{\"code\": \"print(1)\"}");
            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(second.body()).contains("too_many_requests").contains("1 requests in the server already");
            assertThat(post(GOOD, "{\"code\": \"print(2)\"}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aKeyGivenTwiceInTheBodyIsRefused() throws Exception {
        HttpResponse<String> r = post(GOOD, "{\"code\": \"print(1)\", \"code\": \"print(2)\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("Duplicate field 'code'");
    }

    @Test
    void theNextRequestSentTheMomentATimeoutIsAnsweredFindsTheSlotFree() throws Exception {
        // A slot still held would be refused at once (429: one request per key); the next call's wall time is
        // generous because it may wait for its sandbox to be prepared, which CI saw take over 2 s under load.
        CordonClient one = new CordonClient(server.uri(), ONE);
        // Another test of this class may have closed a request of this key a moment ago.
        awaitNoOpenRequests("one");
        for (int i = 0; i < 3; i++) {
            ExecutionResult spin = one.run(CordonClient.request("while True:\n    pass").limit("wallTime", "300ms"));
            assertThat(spin.status()).isEqualTo(Status.TIMEOUT);
            ExecutionResult next = one.run(CordonClient.request("print('next')").limit("wallTime", "20s"));
            assertThat(next.status()).as("%s", next.error()).isEqualTo(Status.OK);
        }
    }
}
