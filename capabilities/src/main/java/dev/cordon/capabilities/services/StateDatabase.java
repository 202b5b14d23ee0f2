package dev.cordon.capabilities.services;

import dev.cordon.capabilities.vfs.PostgresStore;

import javax.sql.DataSource;

/**
 * The PostgreSQL database a service's nodes share their state in: principals' {@code /tmp} trees (through
 * {@code Cordon.Builder.stateDatabase}) and the {@code kv} services ({@link ServiceSpecs#parse(String, String,
 * boolean, DataSource)}). One pool serves both.
 */
public final class StateDatabase {

    private StateDatabase() {
    }

    /**
     * A connection pool (HikariCP, at most {@code maxConnections}) on the database at {@code jdbcUrl}; it connects
     * when first used, and a call waits for a connection at most 5 seconds.
     */
    public static DataSource pool(String jdbcUrl, String user, String password, int maxConnections) {
        return PostgresStore.pool(jdbcUrl, user, password, maxConnections);
    }
}
