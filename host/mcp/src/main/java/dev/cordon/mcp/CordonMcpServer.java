package dev.cordon.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Session;
import dev.cordon.capabilities.Capability;
import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.Json;
import dev.cordon.json.ResultJson;
import dev.cordon.json.ResultText;
import dev.cordon.serve.ServeConfig;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code cordon mcp}: a Model Context Protocol server over stdio, on the official Java SDK, for an agent that
 * runs the Python a model wrote. It offers {@code run_python} (code and optional parameters, a fresh
 * interpreter per call) and one tool per session named in the configuration (an interpreter whose state
 * persists from call to call). Every call runs with the principal, grants and limits of the configuration's
 * MCP client, and answers with the run's text for the model ({@link ResultText}) and its JSON form as
 * structured content; a run that did not end OK is a tool error, which the model sees and can act on.
 * Arguments that are not what the tool's schema says are a JSON-RPC invalid-params error and run nothing.
 *
 * <p>The sandbox starts in the background, so the client's {@code initialize} is answered at once; a tool call
 * that arrives before the sandbox is up waits for it.
 */
public final class CordonMcpServer implements AutoCloseable {

    /** The tool every configuration offers. */
    public static final String RUN_PYTHON = "run_python";

    private final ServeConfig config;
    private final ServeConfig.Client client;
    private final CompletableFuture<Cordon> cordon = new CompletableFuture<>();
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final JsonRpcLines input;
    private final McpSyncServer server;

    private CordonMcpServer(ServeConfig config, InputStream in, OutputStream out) {
        this.config = config;
        this.client = config.clients().get(config.mcp().client());
        Thread.ofPlatform().name("cordon-mcp-start").daemon().start(() -> {
            try {
                cordon.complete(config.newCordon(config.defaultBackend()));
            } catch (RuntimeException | Error e) {
                cordon.completeExceptionally(e);
            }
        });
        McpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
        this.input = new JsonRpcLines(new BufferedInputStream(in), out,
                (int) Math.min(Integer.MAX_VALUE - 8, config.maxRequestBytes()));
        List<SyncToolSpecification> tools = new ArrayList<>();
        tools.add(new SyncToolSpecification(tool(RUN_PYTHON, runDescription(), true), (exchange, call) -> run(call, null)));
        config.mcp().sessions().forEach((name, description) -> tools.add(new SyncToolSpecification(
                tool(name, description + ". " + capabilities(), false), (exchange, call) -> run(call, name))));
        this.server = McpServer.sync(new StdioServerTransportProvider(json, input, out))
                .serverInfo("cordon", version())
                .instructions("Runs Python 3 in a sandbox. Call " + RUN_PYTHON + " with the code; print what you "
                        + "want to see, or pass a JSON value to cordon.result(value).")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                // Arguments are checked here, so that a call the schema refuses is a protocol error (-32602)
                // and runs nothing, rather than a tool result the agent might take for the program's.
                .validateToolInputs(false)
                .tools(tools)
                .build();
    }

    /**
     * Starts serving on the given streams (the process's stdin and stdout for {@code cordon mcp}).
     *
     * @param config a {@code cordon serve} configuration; its {@code mcp} section picks the client and sessions
     */
    public static CordonMcpServer start(ServeConfig config, InputStream in, OutputStream out) {
        return new CordonMcpServer(config, in, out);
    }

    /** Waits until the client closes its side of the connection. */
    public void awaitEnd() throws InterruptedException {
        input.awaitEnd();
    }

    private McpSchema.Tool tool(String name, String description, boolean withParameters) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("code", Map.of("type", "string", "description", "Python 3 source code to run"));
        if (withParameters) {
            properties.put("parameters", Map.of("type", "object",
                    "description", "JSON values the code reads as cordon.params (import cordon)"));
        }
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        schema.put("required", List.of("code"));
        schema.put("additionalProperties", false);
        return McpSchema.Tool.builder().name(name).description(description).inputSchema(schema).build();
    }

    private String runDescription() {
        return "Runs Python 3 code in a fresh sandboxed interpreter and returns what it printed, the value it passed "
                + "to cordon.result(value) (import cordon), and the exception with its traceback if one ended it. "
                + "Nothing carries over between calls except files. " + capabilities();
    }

    /** What the code may use and its limits, from the client's grants: the model writes code that fits. */
    private String capabilities() {
        List<String> can = new ArrayList<>();
        List<String> services = new ArrayList<>();
        for (String g : client.grants()) {
            Capability c = Capability.parse(g);
            switch (c.kind()) {
                case TMP -> can.add("the working directory /tmp is private and persists between calls");
                case READ_MOUNT -> can.add(c.argument() + " is readable");
                case GATEWAY -> services.add(c.argument());
            }
        }
        if (!services.isEmpty()) {
            can.add("host services through `from cordon import gateway; gateway.connect(NAME)`: " + services);
        }
        if (can.isEmpty()) {
            can.add("no files can be written");
        }
        var l = client.limits();
        return "No network, processes or threads; " + String.join("; ", can) + ". Limits per call: "
                + l.wallTime().toMillis() / 1000.0 + " s wall time, " + l.memoryBytes() / (1 << 20)
                + " MB of memory, " + l.outputBytes() / 1024 + " KB of output.";
    }

    private CallToolResult run(CallToolRequest call, String session) {
        Map<String, Object> args = call.arguments() == null ? Map.of() : call.arguments();
        for (String key : args.keySet()) {
            if (!key.equals("code") && !(session == null && key.equals("parameters"))) {
                throw invalid("unknown argument \"" + key + "\" (the tool takes " + (session == null
                        ? "code and parameters" : "code") + ")");
            }
        }
        if (!(args.get("code") instanceof String code)) {
            throw invalid("\"code\" must be a string of Python source");
        }
        if (code.getBytes(StandardCharsets.UTF_8).length > config.maxCodeBytes()) {
            throw invalid("\"code\" is longer than " + config.maxCodeBytes() + " bytes");
        }
        Object params = args.get("parameters");
        if (params != null && !(params instanceof Map)) {
            throw invalid("\"parameters\" must be a JSON object");
        }
        Execution.Builder e = Execution.builder().code(code, "<" + call.name() + ">").principal(client.principal())
                .grant(client.grants().toArray(String[]::new)).limits(client.limits());
        if (params != null) {
            @SuppressWarnings("unchecked")
            Map<String, ?> p = (Map<String, ?>) params;
            e.params(p);
        }
        ExecutionResult r = session == null ? sandbox().run(e.build()) : session(session).run(e.build());
        @SuppressWarnings("unchecked")
        Map<String, Object> structured = Json.MAPPER.convertValue(ResultJson.write(r), Map.class);
        return CallToolResult.builder().addTextContent(ResultText.of(r)).structuredContent(structured)
                .isError(r.status() != dev.cordon.Status.OK).build();
    }

    private static McpError invalid(String message) {
        return McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS).message(message).build();
    }

    private Cordon sandbox() {
        try {
            return cordon.get();
        } catch (ExecutionException e) {
            throw McpError.builder(McpSchema.ErrorCodes.INTERNAL_ERROR)
                    .message("the sandbox could not start: " + e.getCause().getMessage()).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw McpError.builder(McpSchema.ErrorCodes.INTERNAL_ERROR).message("interrupted").build();
        }
    }

    private Session session(String name) {
        Cordon c = sandbox();
        synchronized (sessions) {
            return sessions.computeIfAbsent(name, n -> c.session(client.principal(),
                    Grants.of(client.grants())));
        }
    }

    private static String version() {
        String v = CordonMcpServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Stops serving, closes the sessions and the sandbox. */
    @Override
    public void close() {
        server.close();
        synchronized (sessions) {
            sessions.values().forEach(Session::close);
            sessions.clear();
        }
        cordon.thenAccept(Cordon::close);
    }
}
