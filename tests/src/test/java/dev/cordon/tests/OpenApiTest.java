package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.OpenApi31;
import com.sun.net.httpserver.HttpServer;
import dev.cordon.client.CordonClient;
import dev.cordon.serve.CodeServer;
import dev.cordon.serve.ServeConfig;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/openapi.json} against the running service: the document is a valid OpenAPI 3.1 document (the
 * swagger parser's own checks), every response the service really gives (a run of each kind and every refusal
 * it can make) has its status declared for its route and a body valid against the declared schema (a JSON Schema
 * validator with the OpenAPI 3.1 dialect), and the request {@link CordonClient} sends is valid against the
 * document's request schema.
 */
class OpenApiTest {

    static final String KEY = "openapi-key-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static CodeServer server;
    static JsonNode document;
    static SchemaRegistry schemas;

    @BeforeAll
    static void start() throws Exception {
        server = CodeServer.start(ServeConfig.parse("""
                {"port": 0, "dataDir": "data", "maxRequestBytes": "8KB", "maxCodeBytes": "1KB",
                 "isolation": "in-process", "maxConcurrentRuns": 2, "maxQueuedRuns": 2,
                 "clients": {"c": {"key": "%s", "principal": "p", "grants": ["fs.tmp"],
                                   "limits": {"wallTime": "3s", "output": "1KB"}}}}
                """.formatted(KEY), dir));
        HttpResponse<String> doc = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("/v1/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(doc.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        document = JSON.readTree(doc.body());
        schemas = SchemaRegistry.withDefaultDialect(OpenApi31.getInstance(),
                b -> b.schemas(Map.of("https://cordon.test/openapi.json", doc.body())));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theDocumentIsValidOpenApi31AndNamesEveryRoute() {
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(document.toString());
        assertThat(parsed.getMessages()).isEmpty();
        assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(parsed.getOpenAPI().getPaths()).containsOnlyKeys("/v1/run", "/v1/health", "/v1/ready", "/v1/openapi.json", "/metrics");
    }

    @Test
    void everyAnswerOfTheServiceIsDeclaredAndValid() throws Exception {
        List<String> checked = new ArrayList<>();
        String auth = "Bearer " + KEY;
        // Runs of each kind: every one is a 200 with a Result.
        for (String code : List.of("print('hi')\nimport cordon\ncordon.result({'a': [1, None]})", "1/0",
                "while True: pass", "print('x' * 5000)", "import os\nos.system('id')",
                "open('/tmp/f', 'w').write('y')")) {
            checked.add(check("POST", "/v1/run", auth, "application/json",
                    JSON.createObjectNode().put("code", code).toString(), 200));
        }
        checked.add(check("POST", "/v1/run", auth, "application/json", "{\"code\": \"1\", \"limits\": {\"wallTime\": \"1s\"},"
                + " \"grants\": [\"fs.tmp\"], \"params\": {\"k\": 1}, \"backend\": \"graalpy\"}", 200));
        // Every refusal it can make here.
        checked.add(check("POST", "/v1/run", auth, "application/json", "{not json", 400));
        checked.add(check("POST", "/v1/run", auth, "application/json", "{\"code\": 1}", 400));
        checked.add(check("POST", "/v1/run", null, "application/json", "{\"code\": \"1\"}", 401));
        checked.add(check("POST", "/v1/run", "Bearer nobody-0123456789abcdef", "application/json", "{\"code\": \"1\"}", 401));
        checked.add(check("POST", "/v1/run", auth, "application/json", "{\"code\": \"1\", \"grants\": [\"gateway:db\"]}", 403));
        checked.add(check("POST", "/v1/run", auth, "application/json", "{\"code\": \"1\", \"limits\": {\"wallTime\": \"1h\"}}", 403));
        checked.add(check("GET", "/v1/run", auth, null, null, 405));
        checked.add(check("POST", "/v1/run", auth, "application/json", "{\"code\": \"" + "x".repeat(2000) + "\"}", 413));
        checked.add(check("POST", "/v1/run", auth, "application/json", "{\"code\": \"" + "x".repeat(9000) + "\"}", 413));
        checked.add(check("POST", "/v1/run", auth, "text/plain", "print(1)", 415));
        checked.add(check("GET", "/v1/health", null, null, null, 200));
        checked.add(check("POST", "/v1/health", null, "application/json", "{}", 405));
        checked.add(check("GET", "/v1/ready", null, null, null, 200));
        checked.add(check("PUT", "/v1/ready", null, "application/json", "{}", 405));
        checked.add(check("GET", "/v1/openapi.json", null, null, null, 200));
        checked.add(check("GET", "/metrics", null, null, null, 200));
        checked.add(check("DELETE", "/metrics", null, null, null, 405));
        // An unknown route cannot be declared under a path; its body is still the document's Error.
        HttpResponse<String> missing = send("GET", "/v2/nothing", null, null, null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(errors("#/components/schemas/Error", JSON.readTree(missing.body()))).isEmpty();
        assertThat(checked).hasSize(24).doesNotContainNull();
        // And the schemas refuse what the service must never answer.
        assertThat(errors("#/components/schemas/Result", JSON.readTree("{\"status\": \"FINE\"}"))).isNotEmpty();
        assertThat(errors("#/components/schemas/Error", JSON.readTree("{\"error\": {\"code\": \"oops\", \"message\": \"\"}}")))
                .isNotEmpty();
    }

    @Test
    void theRequestCordonClientSendsIsValidAgainstTheDocument() throws Exception {
        AtomicReference<String> body = new AtomicReference<>();
        AtomicReference<String> route = new AtomicReference<>();
        HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        fake.createContext("/", ex -> {
            route.set(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            body.set(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = "{\"error\": {\"code\": \"overloaded\", \"message\": \"busy\"}}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(429, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        fake.start();
        try {
            CordonClient client = new CordonClient(URI.create("http://127.0.0.1:" + fake.getAddress().getPort() + "/"), KEY);
            try {
                client.run(CordonClient.request("print(1)").param("n", List.of(1, 2)).grant("fs.tmp")
                        .limit("wallTime", "2s").limit("memory", "64MB").backend("graalpy"));
            } catch (CordonClient.Refused expected) {
                assertThat(expected.status()).isEqualTo(429);
                assertThat(expected.code()).isEqualTo("overloaded");
            }
        } finally {
            fake.stop(0);
        }
        assertThat(route.get()).isEqualTo("POST /v1/run");
        assertThat(document.at("/paths/~1v1~1run/post").isObject()).isTrue();
        assertThat(errors("#/components/schemas/RunRequest", JSON.readTree(body.get()))).isEmpty();
        // The schema is not a rubber stamp: what the client could never send is refused by it.
        assertThat(errors("#/components/schemas/RunRequest", JSON.readTree("{\"code\": \"1\", \"limits\": {\"disk\": \"1GB\"}}")))
                .isNotEmpty();
    }

    /** Sends a request; checks its status, that the document declares it, and the body against the schema. */
    private static String check(String method, String path, String auth, String type, String body, int status)
            throws Exception {
        HttpResponse<String> r = send(method, path, auth, type, body);
        assertThat(r.statusCode()).as("%s %s %s", method, path, r.body()).isEqualTo(status);
        String operation = Set.of("/v1/run").contains(path) ? "post" : "get";
        JsonNode response = document.at(pointer("paths", path, operation, "responses", String.valueOf(status)));
        assertThat(response.isObject()).as("%s %s declares %d", operation, path, status).isTrue();
        if (response.has("$ref")) {
            response = document.at(response.get("$ref").asText().substring(1));
        }
        JsonNode content = response.path("content");
        String declaredType = content.fieldNames().next();
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith(declaredType));
        if (declaredType.equals("application/json")) {
            String at = "#" + pointer("paths", path, operation, "responses", String.valueOf(status), "content",
                    "application/json", "schema");
            if (document.at(pointer("paths", path, operation, "responses", String.valueOf(status))).has("$ref")) {
                at = "#/components/responses/Error/content/application~1json/schema";
            }
            List<Error> errors = errors(at, JSON.readTree(r.body()));
            assertThat(errors).as("%s %s %d: %s", method, path, status, r.body()).isEmpty();
        }
        return method + " " + path + " " + status;
    }

    private static List<Error> errors(String fragment, JsonNode instance) {
        Schema schema = schemas.getSchema(SchemaLocation.of("https://cordon.test/openapi.json" + fragment));
        return schema.validate(instance);
    }

    private static String pointer(String... parts) {
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            b.append('/').append(p.replace("~", "~0").replace("/", "~1"));
        }
        return b.toString();
    }

    private static HttpResponse<String> send(String method, String path, String auth, String type, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (type != null) {
            b.header("Content-Type", type);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
