package dev.cordon.tests;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The floods that took a shared service down, run against a real {@code cordon serve} process whose heap is
 * 512 MB: four clients at once send denials with megabyte strings, a 50 MB exception, over-long service names
 * and results, round after round. Every answer is a 200 within the response bounds, and the server has no
 * {@code OutOfMemoryError} and answers its health check after.
 */
class ServeFloodTest {

    private static final String[] FLOODS = {
        "import cordon\nb = cordon._bridge\ns = 'D' * 2**20\nfor i in range(1000):\n    b.deny(s, s, s)\nprint('denied')",
        "raise ValueError('m' * (50 * 2**20))",
        "from cordon import gateway\nfor i in range(1200):\n    try:\n        gateway.connect('S' * 100000)\n"
                + "    except PermissionError:\n        pass\nprint('connected')",
        "import cordon\nfor i in range(50):\n    try:\n        cordon.result('r' * (2**20))\n    except ValueError:\n"
                + "        pass\ncordon.result('r' * 1000)\nprint('results')",
    };

    @Test
    void floodsFromFourClientsAtOnceStayWithinAHalfGigabyteServer(@TempDir Path dir) throws Exception {
        StringBuilder clients = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            clients.append(i == 0 ? "" : ",").append("\"c").append(i).append("\": {\"key\": \"flood-key-")
                    .append(i).append("-0123456789\", \"principal\": \"c").append(i)
                    .append("\", \"limits\": {\"wallTime\": \"60s\", \"memory\": \"256MB\", \"output\": \"64KB\","
                            + " \"response\": \"256KB\"}}");
        }
        Path config = dir.resolve("serve.json");
        Files.writeString(config, "{\"port\": 0, \"dataDir\": \"data\", \"maxConcurrentRuns\": 2, \"maxQueuedRuns\": 8,"
                + " \"preparedContexts\": 0, \"clients\": {" + clients + "}}");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process server = new ProcessBuilder(java, "-Xmx512m", "-Xss8m", "-XX:+UseParallelGC",
                "-Dpolyglot.engine.WarnInterpreterOnly=false", "-cp", System.getProperty("java.class.path"),
                "dev.cordon.cli.Main", "serve", "--config", config.toString(), "--port", "0")
                .redirectErrorStream(true).start();
        List<String> log = new CopyOnWriteArrayList<>();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // The server ended.
            }
        });
        try {
            URI uri = null;
            while (uri == null) {
                String line = lines.poll(180, TimeUnit.SECONDS);
                assertThat(line).as("the server's output so far: %s", log).isNotNull();
                int at = line.indexOf("http://");
                if (line.contains("listening on") && at >= 0) {
                    uri = URI.create(line.substring(at).strip().split("\\s")[0]);
                }
            }
            URI base = uri;
            List<CompletableFuture<Void>> floods = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                CordonClient client = new CordonClient(base, "flood-key-" + c + "-0123456789");
                int first = c;
                floods.add(CompletableFuture.runAsync(() -> {
                    for (int round = 0; round < 3; round++) {
                        for (int f = 0; f < FLOODS.length; f++) {
                            String code = FLOODS[(first + f) % FLOODS.length];
                            try {
                                ExecutionResult r = client.run(CordonClient.request(code));
                                assertThat(r.status()).as("%s: %s", code, r.error()).isIn(Status.OK, Status.ERROR);
                                String json = dev.cordon.json.ResultJson.toJson(r);
                                assertThat(json.getBytes(StandardCharsets.UTF_8).length)
                                        .isLessThanOrEqualTo((256 << 10) + 2 * (64 << 10) + (16 << 10));
                            } catch (java.io.IOException | InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }
                }));
            }
            CompletableFuture.allOf(floods.toArray(CompletableFuture[]::new)).get(15, TimeUnit.MINUTES);
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    base.resolve("v1/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(server.isAlive()).isTrue();
            assertThat(log).noneMatch(l -> l.contains("OutOfMemoryError"));
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
            reader.join(5_000);
        }
    }
}
