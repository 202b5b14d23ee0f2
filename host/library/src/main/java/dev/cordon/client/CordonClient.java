package dev.cordon.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cordon.ExecutionResult;
import dev.cordon.capabilities.Json;
import dev.cordon.json.ResultJson;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A client of {@code cordon serve}. Thread-safe; one per server and key.
 *
 * <pre>{@code
 * CordonClient client = new CordonClient(URI.create("http://127.0.0.1:8765/"), apiKey);
 * ExecutionResult r = client.run(CordonClient.request("print(6 * 7)").grant("fs.tmp"));
 * }</pre>
 *
 * A run comes back as the same {@link ExecutionResult} a local {@code Cordon.run} returns, REJECTED
 * included (the server's 429). Every other refusal throws {@link Refused}, carrying the server's reason.
 */
public final class CordonClient {

    private final URI base;
    private final String key;
    private final HttpClient http;

    public CordonClient(URI base, String apiKey) {
        this.base = Objects.requireNonNull(base, "base");
        this.key = Objects.requireNonNull(apiKey, "apiKey");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** A request for {@code code}; add params, grants, limits or a backend as needed. */
    public static Request request(String code) {
        return new Request(code);
    }

    /**
     * Runs a request on the server and waits for its result.
     *
     * @throws Refused      if the server refused the request (its status, code and message)
     * @throws IOException  if the server could not be reached or answered something else than Cordon's JSON
     */
    public ExecutionResult run(Request request) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(base.resolve("v1/run"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.body.toString(), StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response = http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() == 200) {
            try {
                return ResultJson.read(response.body());
            } catch (IllegalArgumentException e) {
                throw new IOException("the server's answer is not a result: " + e.getMessage(), e);
            }
        }
        String code = "http_" + response.statusCode();
        String message = response.body();
        try {
            JsonNode err = Json.MAPPER.readTree(response.body()).path("error");
            if (err.isObject()) {
                code = err.path("code").asText(code);
                message = err.path("message").asText(message);
            }
        } catch (IOException e) {
            // Not Cordon's JSON: keep the raw body as the message.
        }
        if (response.statusCode() == 429) {
            return ExecutionResult.rejected(message);
        }
        throw new Refused(response.statusCode(), code, message);
    }

    /** What {@code POST /v1/run} carries. Mutable; build one per call. */
    public static final class Request {
        private final ObjectNode body = Json.MAPPER.createObjectNode();

        private Request(String code) {
            body.put("code", Objects.requireNonNull(code, "code"));
        }

        /** A parameter the code reads as {@code cordon.params[key]}: any JSON-compatible value. */
        public Request param(String key, Object value) {
            Json.requireCompatible(value, "param " + key);
            body.withObjectProperty("params").set(key, Json.MAPPER.valueToTree(value));
            return this;
        }

        public Request params(Map<String, ?> params) {
            params.forEach(this::param);
            return this;
        }

        /** Capabilities to grant, each one the key allows. */
        public Request grant(String... capabilities) {
            for (String c : capabilities) {
                body.withArrayProperty("grants").add(c);
            }
            return this;
        }

        /** A limit ({@code wallTime}, {@code cpuTime}, {@code memory}, {@code output}) such as "2s" or "64MB". */
        public Request limit(String name, String value) {
            body.withObjectProperty("limits").put(name, value);
            return this;
        }

        public Request backend(String backend) {
            body.put("backend", backend);
            return this;
        }
    }

    /** The server refused a request: nothing ran. */
    public static final class Refused extends IOException {
        private final int status;
        private final String code;

        public Refused(int status, String code, String message) {
            super(status + " " + code + ": " + message);
            this.status = status;
            this.code = code;
        }

        /** The HTTP status: 400, 401, 403, 404, 405, 413, 415 or 500. */
        public int status() {
            return status;
        }

        /** The server's stable code, such as {@code forbidden} or {@code bad_request}. */
        public String code() {
            return code;
        }
    }
}
