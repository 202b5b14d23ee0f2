package dev.cordon.capabilities.vfs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.Quota;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Principals' {@code /tmp} trees and quota ledgers in PostgreSQL, shared by every node of a service that
 * names the same database: a principal's files are the same whichever node runs its call, and its quota holds
 * across all of them at once. The schema is created and migrated by Flyway (its history in
 * {@code cordon_schema_history}) when the store is opened; nodes opening it at once wait for each other.
 *
 * <p>Files open for writing are worked on in copies under {@code scratch}, a directory on this node's disk that
 * holds nothing once they are closed (see {@link PostgresTree} for when writes become visible).
 */
public final class PostgresStore implements PrincipalStore {

    static final String MIGRATIONS = "classpath:dev/cordon/capabilities/vfs/migration";

    private final DataSource source;
    private final HikariDataSource pool;
    private final Quota quota;
    private final Path scratch;
    private final Map<Principal, PostgresTree> trees = new ConcurrentHashMap<>();

    /**
     * A store on a database the application reaches through {@code source} (its own pool, which it closes).
     *
     * @throws IllegalStateException if the database cannot be reached or migrated, or {@code scratch} used
     */
    public PostgresStore(DataSource source, Quota quota, Path scratch) {
        this(source, null, quota, scratch);
    }

    private PostgresStore(DataSource source, HikariDataSource pool, Quota quota, Path scratch) {
        this.source = Objects.requireNonNull(source, "source");
        this.pool = pool;
        this.quota = Objects.requireNonNull(quota, "quota");
        try {
            Files.createDirectories(scratch);
            this.scratch = scratch.toRealPath();
        } catch (IOException e) {
            throw new IllegalStateException("cannot use " + scratch + " for open files: " + e.getMessage(), e);
        }
        try {
            migrate(source);
        } catch (IllegalStateException e) {
            if (pool != null) {
                pool.close();
            }
            throw e;
        }
    }

    /**
     * Creates or migrates the state database's schema (the principals' trees and the {@code kv} services'
     * table); nodes migrating at once wait for each other, and a database that is up to date is left alone.
     *
     * @throws IllegalStateException if the database cannot be reached or migrated
     */
    public static void migrate(DataSource source) {
        try {
            Flyway.configure(PostgresStore.class.getClassLoader()).dataSource(source).locations(MIGRATIONS)
                    .table("cordon_schema_history").baselineOnMigrate(true).baselineVersion("0")
                    .load().migrate();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot prepare the state database: " + rootMessage(e), e);
        }
    }

    /**
     * A connection pool (HikariCP, at most {@code maxConnections}) on the database at {@code jdbcUrl}, for a store
     * and the {@code kv} services to share; a connection is waited for at most 5 seconds.
     */
    public static HikariDataSource pool(String jdbcUrl, String user, String password, int maxConnections) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(maxConnections);
        config.setPoolName("cordon-state");
        // A call waits for the store at most this long before its file operation is an I/O error.
        config.setConnectionTimeout(5_000);
        config.setInitializationFailTimeout(-1);
        return new HikariDataSource(config);
    }

    /**
     * A store with a pool of its own (HikariCP, at most {@code maxConnections}) on the database at {@code jdbcUrl},
     * which {@link #close()} closes.
     *
     * @throws IllegalStateException if the database cannot be reached or migrated
     */
    public static PostgresStore connect(String jdbcUrl, String user, String password, int maxConnections,
                                        Quota quota, Path scratch) {
        HikariDataSource pool = pool(jdbcUrl, user, password, maxConnections);
        return new PostgresStore(pool, pool, quota, scratch);
    }

    /** The time as the state database's columns keep it: nanoseconds since the epoch. */
    public static long nowNanos() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Override
    public Quota quota() {
        return quota;
    }

    @Override
    public boolean reachable() {
        try (Connection c = source.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public FileTree tmp(Principal principal) throws IOException {
        try {
            return trees.computeIfAbsent(principal, p -> {
                try {
                    return open(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private PostgresTree open(Principal principal) throws IOException {
        String name = DataDirectory.storageName(principal.name());
        try (Connection c = source.getConnection();
             PreparedStatement insert = c.prepareStatement("INSERT INTO cordon_principal (storage_name, created_ns)"
                     + " VALUES (?, ?) ON CONFLICT (storage_name) DO NOTHING");
             PreparedStatement select = c.prepareStatement(
                     "SELECT id, created_ns FROM cordon_principal WHERE storage_name = ?")) {
            insert.setString(1, name);
            insert.setLong(2, nowNanos());
            insert.executeUpdate();
            select.setString(1, name);
            try (ResultSet r = select.executeQuery()) {
                r.next();
                return new PostgresTree(source, r.getLong(1), r.getLong(2), quota, scratch);
            }
        } catch (SQLException e) {
            throw new IOException("the state database refused the /tmp of " + principal + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
