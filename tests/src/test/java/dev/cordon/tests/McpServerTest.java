package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code cordon mcp} end to end: the real command in a JVM of its own, driven by the MCP SDK's own client over
 * stdio as an agent drives it (initialize, list the tools, run programs, a hostile one, a session), and by raw
 * lines for what no SDK client sends (lines that are not JSON, not JSON-RPC, or too long), which must be
 * answered with protocol errors while the connection carries on and nothing runs.
 */
class McpServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path config;
    static McpSyncClient client;

    @BeforeAll
    static void start() throws IOException {
        config = dir.resolve("cordon-mcp.json");
        Files.writeString(config, """
                {
                  "dataDir": "data", "isolation": "in-process", "maxConcurrentRuns": 2, "preparedContexts": 1,
                  "maxRequestBytes": "64KB", "maxCodeBytes": "8KB",
                  "services": {"notes": "kv"},
                  "clients": {
                    "other": {"key": "a-key-for-http-only-0123456789", "principal": "other", "grants": []},
                    "agent": {"principal": "agent", "grants": ["fs.tmp", "gateway:notes"],
                              "limits": {"wallTime": "3s", "cpuTime": "3s", "memory": "128MB", "output": "16KB"}}
                  },
                  "mcp": {"client": "agent", "sessions": {"notebook": {"description": "A notebook"}}}
                }
                """);
        client = McpClient.sync(new StdioClientTransport(command().build(), new JacksonMcpJsonMapper(JSON)))
                .requestTimeout(Duration.ofMinutes(3)).initializationTimeout(Duration.ofMinutes(1)).build();
        McpSchema.InitializeResult init = client.initialize();
        assertThat(init.serverInfo().name()).isEqualTo("cordon");
        assertThat(init.capabilities().tools()).isNotNull();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.closeGracefully();
        }
    }

    /** The real CLI's main class with this JVM's java and class path, as ServeProcess starts serve. */
    private static ServerParameters.Builder command() {
        String java = ProcessHandle.current().info().command().orElse("java");
        return ServerParameters.builder(java).args("-Xss8m", "-Dpolyglot.engine.WarnInterpreterOnly=false",
                "-cp", System.getProperty("java.class.path"), "dev.cordon.cli.Main", "mcp", "--config", config.toString());
    }

    @Test
    void listsRunPythonAndOneToolPerSessionWithTheirSchemasAndTheClientsLimits() {
        List<McpSchema.Tool> tools = client.listTools().tools();
        assertThat(tools).extracting(McpSchema.Tool::name).containsExactly("run_python", "notebook");
        McpSchema.Tool run = tools.get(0);
        JsonNode schema = JSON.valueToTree(run.inputSchema());
        assertThat(schema.path("required").toString()).isEqualTo("[\"code\"]");
        assertThat(schema.path("properties").fieldNames()).toIterable().containsExactly("code", "parameters");
        assertThat(schema.path("additionalProperties").asBoolean(true)).isFalse();
        assertThat(run.description()).contains("3.0 s wall time", "128 MB", "/tmp", "[notes]");
        assertThat(JSON.valueToTree(tools.get(1).inputSchema()).path("properties").fieldNames()).toIterable()
                .containsExactly("code");
        assertThat(tools.get(1).description()).startsWith("A notebook");
    }

    @Test
    void runsAProgramWithParametersAndAnswersWithItsOutputValueAndStructuredResult() throws IOException {
        CallToolResult r = client.callTool(new CallToolRequest("run_python", Map.of(
                "code", "import cordon\nprint('hello', cordon.params['who'])\ncordon.result({'n': 6 * 7})\n"
                        + "open('/tmp/mcp.txt', 'w').write('kept')",
                "parameters", Map.of("who", "agent"))));
        assertThat(r.isError()).isFalse();
        String text = text(r);
        assertThat(text).startsWith("status: OK").contains("stdout:\nhello agent\n").contains("value (passed to cordon.result): {\"n\":42}");
        JsonNode structured = JSON.valueToTree(r.structuredContent());
        assertThat(structured.path("status").asText()).isEqualTo("OK");
        assertThat(structured.path("value").path("n").asInt()).isEqualTo(42);
        // The agent principal's /tmp, under the configuration's dataDir: the file is really there.
        try (var files = Files.walk(dir.resolve("data"))) {
            assertThat(files.filter(p -> p.getFileName().toString().equals("mcp.txt")).toList()).hasSize(1);
        }
    }

    @Test
    void anExceptionIsAToolErrorWithItsTraceback() {
        CallToolResult r = client.callTool(new CallToolRequest("run_python", Map.of("code", "def f():\n    return 1 / 0\nf()")));
        assertThat(r.isError()).isTrue();
        assertThat(text(r)).startsWith("status: ERROR").contains("error: ZeroDivisionError: division by zero")
                .contains("traceback:").contains("line 2, in f");
    }

    @Test
    void aHostileProgramIsStoppedAtTheClientsLimitAndTheServerCarriesOn() {
        long start = System.nanoTime();
        CallToolResult r = client.callTool(new CallToolRequest("run_python", Map.of("code", "while True:\n    pass")));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.isError()).isTrue();
        assertThat(text(r)).matches("(?s)status: (TIMEOUT|CPU_LIMIT) .*");
        assertThat(millis).as("answered near the 3 s limit").isLessThan(30_000);
        CallToolResult next = client.callTool(new CallToolRequest("run_python", Map.of("code", "print('still here')")));
        assertThat(text(next)).contains("still here");
        CallToolResult network = client.callTool(new CallToolRequest("run_python",
                Map.of("code", "import socket\nsocket.create_connection(('127.0.0.1', 22))")));
        assertThat(network.isError()).isTrue();
        assertThat(text(network)).contains("PermissionError");
    }

    @Test
    void aSessionToolKeepsItsVariablesFromCallToCall() {
        assertThat(client.callTool(new CallToolRequest("notebook", Map.of("code", "total = 40"))).isError()).isFalse();
        CallToolResult r = client.callTool(new CallToolRequest("notebook", Map.of("code", "total += 2\nprint(total)")));
        assertThat(text(r)).contains("stdout:\n42\n");
        CallToolResult fresh = client.callTool(new CallToolRequest("run_python", Map.of("code", "print(total)")));
        assertThat(text(fresh)).contains("NameError");
    }

    @Test
    void argumentsTheSchemaRefusesAreInvalidParamsAndRunNothing() {
        for (Map<String, Object> args : List.<Map<String, Object>>of(Map.of(), Map.of("code", 42),
                Map.of("code", "open('/tmp/never.txt', 'w')", "parameters", "not an object"),
                Map.of("code", "open('/tmp/never.txt', 'w')", "extra", 1), Map.of("code", "x".repeat(10_000)))) {
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("run_python", args)))
                    .isInstanceOf(McpError.class)
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(McpSchema.ErrorCodes.INVALID_PARAMS));
        }
        assertThatThrownBy(() -> client.callTool(new CallToolRequest("notebook",
                Map.of("code", "1", "parameters", Map.of())))).isInstanceOf(McpError.class);
        assertThatThrownBy(() -> client.callTool(new CallToolRequest("no_such_tool", Map.of("code", "1"))))
                .isInstanceOf(McpError.class);
        assertThat(dir.resolve("data")).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> {
            try (var files = Files.walk(d)) {
                assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("never.txt");
            }
        });
    }

    @Test
    void linesThatAreNoJsonRpcAreAnsweredWithProtocolErrorsAndTheConnectionCarriesOn() throws Exception {
        Process p = new ProcessBuilder(commandLine())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = p.getOutputStream();
             BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> lines = List.of(
                    "{not json",
                    "[1, 2]",
                    "{\"jsonrpc\": \"1.0\", \"id\": 7, \"method\": \"tools/list\"}",
                    "{\"jsonrpc\": \"2.0\", \"id\": 8, \"method\": 5}",
                    "{\"jsonrpc\": \"2.0\", \"id\": 9, \"method\": \"tools/call\", \"params\": {\"name\": \"run_python\", "
                            + "\"arguments\": {\"code\": \"open('/tmp/never.txt', 'w')\"}}, \"id\": 10}",
                    "{\"jsonrpc\": \"2.0\", \"id\": 11, \"method\": \"tools/call\", \"params\": \"" + "y".repeat(70_000) + "\"}",
                    "",
                    "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
            for (String line : lines) {
                in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            in.flush();
            List<JsonNode> answers = new ArrayList<>();
            while (answers.size() < 7) {
                String line = out.readLine();
                assertThat(line).as("answers so far: %s", answers).isNotNull();
                answers.add(JSON.readTree(line));
            }
            assertThat(answers.subList(0, 6)).extracting(a -> a.path("error").path("code").asInt())
                    .containsExactly(-32700, -32600, -32600, -32600, -32700, -32600);
            assertThat(answers.get(4).path("error").path("message").asText()).contains("Duplicate field 'id'");
            assertThat(answers.get(2).path("id").asInt()).isEqualTo(7);
            assertThat(answers.get(5).path("error").path("message").asText()).contains("at most");
            assertThat(answers.get(6).path("id").asInt()).isEqualTo(12);
            assertThat(answers.get(6).path("result").path("serverInfo").path("name").asText()).isEqualTo("cordon");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(p.isAlive()).isFalse();
    }

    private static List<String> commandLine() {
        ServerParameters params = command().build();
        List<String> cmd = new ArrayList<>();
        cmd.add(params.getCommand());
        cmd.addAll(params.getArgs());
        return cmd;
    }

    private static String text(CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }
}
