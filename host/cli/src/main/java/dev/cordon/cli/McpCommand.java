package dev.cordon.cli;

import dev.cordon.mcp.CordonMcpServer;
import dev.cordon.serve.ServeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code cordon mcp}: the Model Context Protocol server on stdio, until the client closes stdin. */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = {"Speak the Model Context Protocol on stdin and stdout: a run_python tool, and one tool per "
                + "session the configuration names, for an AI agent that runs the Python a model wrote.",
                "Every call runs with the principal, grants and limits of the configuration's MCP client "
                        + "(its \"mcp\" section; the first client if there is none). See examples/mcp/cordon-mcp.json."})
final class McpCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", required = true,
            description = "A cordon serve configuration: the client whose principal, grants and limits the tools "
                    + "have, mounts, services, isolation; the \"mcp\" section names the client and the sessions.")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        ServeConfig c = ServeConfig.load(config);
        // Stdout is the protocol: whatever else would print there (a library's notice) goes to stderr.
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        try (CordonMcpServer server = CordonMcpServer.start(c, System.in, protocol)) {
            System.err.println("cordon mcp: serving " + c.mcp().client() + "'s tools on stdio");
            server.awaitEnd();
        }
        return Main.EXIT_OK;
    }
}
