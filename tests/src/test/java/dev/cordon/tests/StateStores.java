package dev.cordon.tests;

import dev.cordon.Cordon;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which store keeps principals' {@code /tmp} in the suites that promise the same for both: the data directory,
 * or with {@code CORDON_TEST_STATE=postgres} a real PostgreSQL server ({@link PostgresServer}, one per test
 * JVM) with a database of its own per data directory, so that a suite's "later Cordon on the same data
 * directory" is a later Cordon on the same database.
 */
final class StateStores {

    static final String VARIABLE = "CORDON_TEST_STATE";

    private static final Map<Path, String> DATABASES = new ConcurrentHashMap<>();
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static PostgresServer server;

    private StateStores() {
    }

    /** Whether these suites run on PostgreSQL. */
    static boolean postgres() {
        return "postgres".equals(System.getenv(VARIABLE));
    }

    /** {@code builder} on {@code dataDir}, and on that directory's database when the suites run on PostgreSQL. */
    static Cordon.Builder on(Cordon.Builder builder, Path dataDir) {
        builder.dataDir(dataDir);
        if (postgres()) {
            Assumptions.assumeTrue(PostgresServer.available(), VARIABLE + "=postgres but there is no PostgreSQL 15 under "
                    + PostgresServer.BIN);
            builder.stateDatabase(database(dataDir), "cordon", null);
        }
        return builder;
    }

    /** The JDBC URL of the database that stands for {@code dataDir}, created on first use. */
    static synchronized String database(Path dataDir) {
        String name = DATABASES.get(dataDir.toAbsolutePath());
        if (name == null) {
            name = "state" + NEXT.incrementAndGet();
            try (Connection c = DriverManager.getConnection(server().url()); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            } catch (Exception e) {
                throw new IllegalStateException("cannot create a database for " + dataDir, e);
            }
            DATABASES.put(dataDir.toAbsolutePath(), name);
        }
        return server().url().replace("/postgres?", "/" + name + "?");
    }

    private static synchronized PostgresServer server() {
        if (server == null) {
            if (!PostgresServer.available()) {
                throw new IllegalStateException(VARIABLE + "=postgres but this machine has no PostgreSQL 15 in "
                        + PostgresServer.BIN);
            }
            try {
                server = new PostgresServer();
            } catch (Exception e) {
                throw new IllegalStateException("PostgreSQL did not start", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        return server;
    }
}
