package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real {@code cordon serve} process stopped as a cluster stops a node: SIGTERM while a run is in flight. It stops
 * taking work at once ({@code /v1/ready} 503, a new run 503 {@code draining}), the run in flight still gets its
 * whole answer, and then the process ends by itself.
 */
class ServeDrainTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "drain-key-0123456789";

    @Test
    void sigtermDrainsTheRunsInFlightAndRefusesNewOnes(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("serve.json");
        // In this execution's isolation mode: with worker processes, the run in flight is in a worker.
        String isolation = "process".equals(System.getenv("CORDON_ISOLATION")) ? "process" : "in-process";
        Files.writeString(config, "{\"port\": 0, \"dataDir\": \"data\", \"isolation\": \"" + isolation + "\","
                + " \"maxConcurrentRuns\": 2, \"maxQueuedRuns\": 2, \"clients\": {\"app\": {\"key\": \"" + KEY
                + "\", \"principal\": \"app\", \"limits\": {\"wallTime\": \"30s\"}}}}");
        try (ServeProcess server = new ServeProcess("512m", config)) {
            URI base = server.uri();
            HttpResponse<String> ready = get(base, "v1/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(JSON.readTree(ready.body()).path("ready").asBoolean()).isTrue();

            CordonClient client = new CordonClient(base, KEY);
            CompletableFuture<ExecutionResult> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.run(CordonClient.request("import time\ntime.sleep(6)\nprint('finished')"));
                } catch (java.io.IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (JSON.readTree(get(base, "v1/health").body()).path("runsInFlight").asInt() == 0) {
                assertThat(System.nanoTime()).as("the run started").isLessThan(until);
                Thread.sleep(20);
            }

            server.terminate();
            JsonNode notReady;
            do {
                HttpResponse<String> r = get(base, "v1/ready");
                notReady = JSON.readTree(r.body());
                if (r.statusCode() == 503) {
                    break;
                }
                assertThat(System.nanoTime()).as("ready went false").isLessThan(until);
                Thread.sleep(10);
            } while (true);
            assertThat(notReady.path("ready").asBoolean()).isFalse();
            assertThat(notReady.path("reason").asText()).startsWith("draining");
            assertThat(inFlight).as("the run in flight is still running").isNotDone();

            HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(base.resolve("v1/run"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"code\": \"print(2)\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(JSON.readTree(refused.body()).at("/error/code").asText()).isEqualTo("draining");

            ExecutionResult r = inFlight.get(60, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("finished\n");
            Integer exit = server.awaitExit(30);
            assertThat(exit).as("the server ended by itself after the drain; its output: %s", server.log()).isNotNull();
            assertThat(server.log()).as("exit %s", exit).anyMatch(l -> l.contains("draining"))
                    .anyMatch(l -> l.contains("stopped"));
        }
    }

    private static HttpResponse<String> get(URI base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
