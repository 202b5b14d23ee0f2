package dev.cordon.capabilities.services;

import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.gateway.Service;
import dev.cordon.capabilities.vfs.DataDirectory;
import dev.cordon.capabilities.vfs.PostgresStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import javax.sql.DataSource;

/**
 * The {@link KeyValueService}'s operations ({@code get}, {@code set}, {@code delete}, {@code incr}) on a table
 * of the state database ({@code cordon_kv}, created by the state store's migrations), so that every node of a
 * service sees the same entries and a node's death loses none. Keys, values, times to live and refusals are
 * {@code kv}'s; each operation is one statement or one transaction, so concurrent {@code incr}s on any nodes
 * all count. Unlike {@code kv}, a full namespace refuses a new key rather than drop the least recently used.
 */
public final class PostgresKeyValueService implements Service {

    private final DataSource source;
    private final String name;
    private final boolean shared;
    private final long maxEntries;
    private final int maxValueBytes;
    private final LongSupplier clock;
    private volatile boolean migrated;

    /**
     * @param source the state database (its schema is migrated on the first call, if the store has not yet)
     * @param name   the service's name: the entries of two services are apart
     */
    public PostgresKeyValueService(DataSource source, String name, boolean shared) {
        this(source, name, shared, 100_000, 1 << 20, PostgresStore::nowNanos);
    }

    PostgresKeyValueService(DataSource source, String name, boolean shared, long maxEntries, int maxValueBytes,
                            LongSupplier clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.name = name;
        this.shared = shared;
        this.maxEntries = maxEntries;
        this.maxValueBytes = maxValueBytes;
        this.clock = clock;
    }

    @Override
    public String describe() {
        return "key-value store in the state database, " + (shared ? "shared" : "per principal");
    }

    @Override
    public Object call(CallContext context, String operation, List<Object> arguments) throws SQLException {
        if (!migrated) {
            PostgresStore.migrate(source);
            migrated = true;
        }
        String namespace = shared ? "" : DataDirectory.storageName(context.principal().name());
        long now = clock.getAsLong();
        return switch (operation) {
            case "get" -> {
                String key = KeyValueService.key(new Arguments("get", arguments, 1, 1));
                try (Connection c = source.getConnection();
                     PreparedStatement s = c.prepareStatement("SELECT value FROM cordon_kv WHERE service = ? AND"
                             + " namespace = ? AND key = ? AND (expires_ns IS NULL OR expires_ns > ?)")) {
                    bind(s, namespace, key);
                    s.setLong(4, now);
                    try (ResultSet r = s.executeQuery()) {
                        yield r.next() ? read(r.getString(1)) : null;
                    }
                }
            }
            case "set" -> {
                Arguments a = new Arguments("set", arguments, 2, 3);
                String key = KeyValueService.key(a);
                String value = Json.write(a.value(1));
                if (value.length() > maxValueBytes) {
                    throw GatewayException.invalid("the value is larger than " + maxValueBytes + " bytes");
                }
                long ttl = a.integer(2, Long.MIN_VALUE);
                KeyValueService.checkTtl(ttl);
                try (Connection c = source.getConnection()) {
                    checkRoom(c, namespace, key, now);
                    try (PreparedStatement s = c.prepareStatement("INSERT INTO cordon_kv (service, namespace, key,"
                            + " value, expires_ns) VALUES (?, ?, ?, ?, ?) ON CONFLICT (service, namespace, key) DO UPDATE"
                            + " SET value = EXCLUDED.value, expires_ns = EXCLUDED.expires_ns")) {
                        bind(s, namespace, key);
                        s.setString(4, value);
                        if (ttl == Long.MIN_VALUE || ttl >= (Long.MAX_VALUE - now) / 1_000_000_000L) {
                            s.setNull(5, Types.BIGINT);
                        } else {
                            s.setLong(5, now + ttl * 1_000_000_000L);
                        }
                        s.executeUpdate();
                    }
                }
                yield null;
            }
            case "delete" -> {
                String key = KeyValueService.key(new Arguments("delete", arguments, 1, 1));
                try (Connection c = source.getConnection();
                     PreparedStatement s = c.prepareStatement("DELETE FROM cordon_kv WHERE service = ? AND namespace = ?"
                             + " AND key = ? RETURNING expires_ns")) {
                    bind(s, namespace, key);
                    try (ResultSet r = s.executeQuery()) {
                        yield r.next() && (r.getObject(1) == null || r.getLong(1) > now);
                    }
                }
            }
            case "incr" -> {
                Arguments a = new Arguments("incr", arguments, 1, 2);
                long delta = a.integer(1, 1);
                yield increment(namespace, KeyValueService.key(a), delta, now);
            }
            default -> throw GatewayException.notFound("no operation " + operation + " (get, set, delete, incr)");
        };
    }

    /** {@code incr}: a new key starts at {@code delta} with no expiry; an existing one keeps its expiry. */
    private Object increment(String namespace, String key, long delta, long now) throws SQLException {
        try (Connection c = source.getConnection()) {
            c.setAutoCommit(false);
            try {
                Object result = incrementIn(c, namespace, key, delta, now);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private Object incrementIn(Connection c, String namespace, String key, long delta, long now) throws SQLException {
        checkRoom(c, namespace, key, now);
        try (PreparedStatement s = c.prepareStatement("INSERT INTO cordon_kv (service, namespace, key, value)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT (service, namespace, key) DO NOTHING")) {
            bind(s, namespace, key);
            s.setString(4, Long.toString(delta));
            if (s.executeUpdate() == 1) {
                return read(Long.toString(delta));
            }
        }
        String old;
        boolean live;
        try (PreparedStatement s = c.prepareStatement("SELECT value, expires_ns IS NULL OR expires_ns > ? FROM cordon_kv"
                + " WHERE service = ? AND namespace = ? AND key = ? FOR UPDATE")) {
            s.setLong(1, now);
            s.setString(2, name);
            s.setString(3, namespace);
            s.setString(4, key);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                old = r.getString(1);
                live = r.getBoolean(2);
            }
        }
        long next;
        if (!live) {
            next = delta;
        } else {
            Object value = read(old);
            if (!(value instanceof Integer || value instanceof Long)) {
                throw GatewayException.invalid("incr() on a value that is not an integer");
            }
            try {
                next = Math.addExact(((Number) value).longValue(), delta);
            } catch (ArithmeticException e) {
                throw GatewayException.invalid("incr() past a 64-bit integer");
            }
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE cordon_kv SET value = ?"
                + (live ? "" : ", expires_ns = NULL") + " WHERE service = ? AND namespace = ? AND key = ?")) {
            s.setString(1, Long.toString(next));
            s.setString(2, name);
            s.setString(3, namespace);
            s.setString(4, key);
            s.executeUpdate();
        }
        return read(Long.toString(next));
    }

    /** A new key in a namespace already holding {@code maxEntries} live ones is refused. */
    private void checkRoom(Connection c, String namespace, String key, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM cordon_kv WHERE service = ? AND namespace = ?"
                + " AND key = ?")) {
            bind(s, namespace, key);
            try (ResultSet r = s.executeQuery()) {
                if (r.next()) {
                    return;
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM cordon_kv WHERE service = ? AND namespace = ?"
                + " AND key <> ? AND (expires_ns IS NULL OR expires_ns > ?)")) {
            bind(s, namespace, key);
            s.setLong(4, now);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                if (r.getLong(1) >= maxEntries) {
                    throw GatewayException.invalid("the store holds " + maxEntries + " keys already");
                }
            }
        }
    }

    private void bind(PreparedStatement s, String namespace, String key) throws SQLException {
        s.setString(1, name);
        s.setString(2, namespace);
        s.setString(3, key);
    }

    private static Object read(String json) {
        try {
            return Json.read(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a stored value is not JSON", e);
        }
    }
}
