package dev.cordon.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real {@code cordon serve} in a JVM of its own, as an operator starts it: this test JVM's java and class path,
 * the given heap, and the configuration file. Its output is kept; {@link #uri()} is where it listens once it says
 * so.
 */
final class ServeProcess implements AutoCloseable {

    private final Process process;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private final URI uri;

    ServeProcess(String heap, Path config) throws IOException, InterruptedException {
        this(heap, config, 0);
    }

    /** A server on {@code port} (0: any free one), as a node behind a load balancer is. */
    ServeProcess(String heap, Path config, int port) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-Xss8m", "-XX:+UseParallelGC",
                "-Dpolyglot.engine.WarnInterpreterOnly=false", "-cp", System.getProperty("java.class.path"),
                "dev.cordon.cli.Main", "serve", "--config", config.toString(), "--port", String.valueOf(port)));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                // The server ended.
            }
        });
        URI found = null;
        try {
            while (found == null) {
                String line = lines.poll(180, TimeUnit.SECONDS);
                assertThat(line).as("the server's output so far: %s", log).isNotNull();
                int at = line.indexOf("http://");
                if (line.contains("listening on") && at >= 0) {
                    found = URI.create(line.substring(at).strip().split("\\s")[0]);
                }
            }
        } catch (AssertionError | InterruptedException e) {
            close();
            throw e;
        }
        uri = found;
    }

    URI uri() {
        return uri;
    }

    /** Everything the server has printed so far. */
    List<String> log() {
        return log;
    }

    /** Ends the server at once with SIGKILL, as a machine's failure or the kernel's OOM killer does. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Sends SIGTERM, as an operator's {@code kill} or a cluster's pod shutdown does; through the process's handle,
     * because {@link Process#destroy()} also closes its output here, and what it prints while it stops is lost.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the server to end and its output to be read; its exit status, or null if it still runs after {@code seconds}. */
    Integer awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            return null;
        }
        reader.join(5_000);   // its last lines read
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(5_000);
    }
}
