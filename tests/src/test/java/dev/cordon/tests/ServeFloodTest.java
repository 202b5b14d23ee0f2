package dev.cordon.tests;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The floods that took a shared service down, run against a real {@code cordon serve} process whose heap is
 * 512 MB: four clients at once send denials with megabyte strings, a 50 MB exception, over-long service names
 * and results, round after round. Every answer is a 200 within the response bounds (a call the heap guard picks
 * under the flood's pressure ends MEMORY_LIMIT, a precise answer too), and the server has no
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
        try (ServeProcess server = new ServeProcess("512m", config)) {
            URI base = server.uri();
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
                                assertThat(r.status()).as("%s: %s", code, r.error()).isIn(Status.OK, Status.ERROR, Status.MEMORY_LIMIT);
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
            assertThat(server.log()).noneMatch(l -> l.contains("OutOfMemoryError"));
        }
    }
}
