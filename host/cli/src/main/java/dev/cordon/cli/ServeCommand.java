package dev.cordon.cli;

import dev.cordon.serve.CodeServer;
import dev.cordon.serve.ServeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code cordon serve}: the code-execution service, until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve POST /v1/run over HTTP: run the Python clients submit, each with the principal, "
                + "grants and limits its API key has in the configuration.",
                "Also GET /v1/health and GET /metrics (Prometheus text)."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", required = true,
            description = "The JSON configuration: clients and their keys, grants and limits; mounts, services, "
                    + "backends. See examples/serve/cordon-serve.json.")
    Path config;

    @Option(names = "--port", paramLabel = "N", description = "The TCP port, overriding the configuration's (0: any free port).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "The address to listen on, overriding the configuration's (default 127.0.0.1).")
    String bind;

    @Override
    public Integer call() throws InterruptedException {
        ServeConfig c = ServeConfig.load(config);
        if (port != null || bind != null) {
            c = c.listeningOn(bind != null ? bind : c.bind(), port != null ? port : c.port());
        }
        CodeServer server;
        try {
            server = CodeServer.start(c);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + c.bind() + ":" + c.port() + ": " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM (or Ctrl-C): ready goes false and new runs get 503 while the runs in flight finish within their
        // limits; then the server stops. A load balancer takes the node out at its next health check.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                System.out.println("cordon serve: draining (runs in flight finish, new ones get 503)");
                System.out.flush();
                if (!server.drain(server.drainPatience())) {
                    System.out.println("cordon serve: runs still in flight after " + server.drainPatience().toSeconds()
                            + " s; stopping anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                server.close();
                System.out.println("cordon serve: stopped");
                System.out.flush();
                stopped.countDown();
            }
        }, "cordon-serve-shutdown"));
        System.out.println("cordon serve: listening on " + server.uri() + " (" + c.clients().size()
                + " clients, backends " + c.backends() + ")");
        System.out.flush();
        stopped.await();
        return Main.EXIT_OK;
    }
}
