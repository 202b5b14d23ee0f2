package dev.cordon.tests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server for a test: Debian's PostgreSQL 15, a new cluster in a temporary directory, listening
 * on a free loopback port, trusting local connections as the user {@code cordon}, stopped at {@link #close()}.
 * PostgreSQL will not run as root: as root it runs as the {@code postgres} user, which owns the directory.
 */
final class PostgresServer implements AutoCloseable {

    static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Process server;
    private final int port;
    private final Path dir;

    /** Whether this machine has PostgreSQL 15's server binaries. */
    static boolean available() {
        return Files.isExecutable(BIN.resolve("postgres")) && Files.isExecutable(BIN.resolve("initdb"));
    }

    PostgresServer() throws IOException, InterruptedException {
        // In the system's temporary directory, which the postgres user can reach (a test's own is root's alone).
        dir = Files.createTempDirectory("cordon-pg");
        Path data = dir.resolve("data");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
        }
        run(as(root, List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", "cordon",
                "--auth=trust", "-E", "UTF8", "--no-sync")));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        server = new ProcessBuilder(as(root, List.of(BIN.resolve("postgres").toString(), "-D", data.toString(),
                "-h", "127.0.0.1", "-p", String.valueOf(port), "-k", dir.toString(), "-F")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!accepts()) {
            if (!server.isAlive() || System.nanoTime() > until) {
                close();
                throw new IOException("PostgreSQL did not start: " + Files.readString(dir.resolve("server.log")));
            }
            Thread.sleep(50);
        }
    }

    private static List<String> as(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        c.addAll(command);
        return c;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    /**
     * Whether the server answers a query: it listens before it has finished starting, and a connection then is
     * refused with "the database system is starting up" (seen once in CI).
     */
    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        } catch (IOException e) {
            return false;
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url());
             java.sql.Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    /** The JDBC URL of its {@code postgres} database, as the user {@code cordon}. */
    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=cordon";
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null) {
            server.destroy();   // SIGTERM: a smart shutdown
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // Left in the temporary directory.
        }
    }
}
