package dev.cordon.capabilities.services;

import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.gateway.Service;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A SQL database over JDBC: SQLite by default, any JDBC URL accepted. The guest sends one parameterised
 * statement per call; its values travel as JDBC parameters, never spliced into the text.
 *
 * <p>Operations: {@code query(sql, params=[])} returns the rows as a list of dicts (column label to
 * value; BLOBs as base64 strings); {@code execute(sql, params=[])} runs a change and returns
 * {@code {"rowcount": n}}, on a writable service only.
 *
 * <p>A read-only service (the default) refuses every write three times over: {@code execute} is refused,
 * a {@code query} must start with SELECT, WITH, VALUES or EXPLAIN, and the connection itself is read-only
 * (for SQLite, opened read-only with ATTACH disabled, so no statement can write or reach another file;
 * for other databases, give the service an account with read-only rights as well). Text holding more than
 * one statement is refused whatever the service. Each call has a row limit, a size limit on the result,
 * and a time limit after which the statement is cancelled.
 *
 * <p>The URL and credentials stay on the host: errors about the connection reach the guest as "service
 * unavailable", and {@link #describe} names only the kind of database.
 */
public final class SqlService implements Service {

    private static final Set<String> READING = Set.of("SELECT", "WITH", "VALUES", "EXPLAIN");
    private static final ScheduledExecutorService CANCELLER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cordon-sql-timeout");
        t.setDaemon(true);
        return t;
    });

    private final String url;
    private final Properties properties;
    private final boolean sqlite;
    private final boolean writable;
    private final int maxRows;
    private final long maxResultBytes;
    private final int maxValueBytes;
    private final Duration timeout;

    private SqlService(Builder b) {
        this.url = b.url;
        this.sqlite = b.url.startsWith("jdbc:sqlite:");
        this.writable = b.writable;
        this.maxRows = b.maxRows;
        this.maxResultBytes = b.maxResultBytes;
        this.maxValueBytes = b.maxValueBytes;
        this.timeout = b.timeout;
        try {
            this.properties = sqlite ? SqliteHardening.properties(writable, b.timeout)
                    : new Properties();
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("a jdbc:sqlite: service needs the SQLite JDBC driver"
                    + " (org.xerial:sqlite-jdbc) among the application's dependencies", e);
        }
        if (!writable && b.url.startsWith("jdbc:postgresql:")) {
            // PgJDBC ignores setReadOnly while auto-commit is on unless told otherwise: a read-only service's
            // "WITH gone AS (DELETE ... RETURNING *) SELECT ..." deleted the rows (PostgresServiceTest).
            properties.setProperty("readOnlyMode", "always");
        }
        if (b.user != null) {
            properties.setProperty("user", b.user);
        }
        if (b.password != null) {
            properties.setProperty("password", b.password);
        }
    }

    /** A service over a SQLite database file (created if missing, when writable). */
    public static Builder sqlite(Path file) {
        return new Builder("jdbc:sqlite:" + file.toAbsolutePath());
    }

    /** A service over any JDBC URL whose driver is on the class path. */
    public static Builder jdbc(String url) {
        if (!Objects.requireNonNull(url, "url").startsWith("jdbc:")) {
            throw new IllegalArgumentException("not a JDBC URL: it must start with jdbc:");
        }
        return new Builder(url);
    }

    public boolean writable() {
        return writable;
    }

    @Override
    public String describe() {
        return (sqlite ? "SQLite" : "JDBC") + " database, " + (writable ? "writable" : "read-only");
    }

    @Override
    public Object call(CallContext context, String operation, List<Object> arguments) throws SQLException {
        return switch (operation) {
            case "query" -> {
                Arguments a = new Arguments("query", arguments, 1, 2);
                String sql = checked(a.string(0));
                if (!writable && !READING.contains(SqlStatements.firstKeyword(sql))) {
                    throw GatewayException.permission("this database is read-only: query() takes SELECT,"
                            + " WITH, VALUES or EXPLAIN");
                }
                yield run(sql, a.list(1), true, context.within(timeout));
            }
            case "execute" -> {
                Arguments a = new Arguments("execute", arguments, 1, 2);
                if (!writable) {
                    throw GatewayException.permission("this database is read-only");
                }
                yield run(checked(a.string(0)), a.list(1), false, context.within(timeout));
            }
            default -> throw GatewayException.notFound("no operation " + operation + " (query, execute)");
        };
    }

    private static String checked(String sql) {
        if (SqlStatements.hasSeveral(sql)) {
            throw GatewayException.invalid("one statement per call: pass values as parameters, not as SQL");
        }
        return sql;
    }

    /** Runs one statement, cancelled after {@code limit}: the service's timeout or the call's time left. */
    private Object run(String sql, List<?> params, boolean rows, Duration limit) throws SQLException {
        try (Connection connection = connect(); PreparedStatement statement = prepare(connection, sql)) {
            bind(statement, params);
            statement.setMaxRows(maxRows + 1);
            AtomicBoolean timedOut = new AtomicBoolean();
            ScheduledFuture<?> cancel = CANCELLER.schedule(() -> {
                timedOut.set(true);
                try {
                    statement.cancel();
                } catch (SQLException e) {
                    // The statement ended meanwhile.
                }
            }, limit.toMillis(), TimeUnit.MILLISECONDS);
            try {
                boolean hasRows = statement.execute();
                if (!rows) {
                    return Map.of("rowcount", statement.getUpdateCount());
                }
                return hasRows ? rows(statement.getResultSet()) : List.of();
            } catch (SQLException e) {
                if (timedOut.get()) {
                    throw GatewayException.timeout("the statement ran longer than " + limit.toMillis() + " ms");
                }
                throw refusal(e);
            } finally {
                cancel.cancel(false);
                if (!writable) {
                    // Whatever a read-only service's statement did, none of it is kept, on any driver.
                    connection.rollback();
                }
            }
        }
    }

    private PreparedStatement prepare(Connection connection, String sql) {
        try {
            return connection.prepareStatement(sql);
        } catch (SQLException e) {
            throw refusal(e);
        }
    }

    private Connection connect() {
        Connection c;
        try {
            c = DriverManager.getConnection(url, properties);
        } catch (SQLException e) {
            // The message could name the server or the file: it stays on the host.
            throw new GatewayException(GatewayException.Kind.FAILED, "the database is unavailable", e);
        }
        try {
            if (sqlite) {
                SqliteHardening.limit(c, maxValueBytes);
            }
            c.setReadOnly(!writable);
            if (!writable) {
                c.setAutoCommit(false);   // each statement in a transaction that run() rolls back
            }
            return c;
        } catch (SQLException e) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Already failing.
            }
            throw new GatewayException(GatewayException.Kind.FAILED, "the database is unavailable", e);
        }
    }

    private static GatewayException refusal(SQLException e) {
        // The first line: the error itself (PostgreSQL adds its position and hints on lines of their own).
        String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        if (message.contains("READONLY") || message.contains("read-only") || message.contains("readonly")) {
            return GatewayException.permission("this database is read-only");
        }
        return new GatewayException(GatewayException.Kind.INVALID, message, e);
    }

    private static void bind(PreparedStatement statement, List<?> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object v = params.get(i);
            int index = i + 1;
            if (v == null) {
                statement.setNull(index, Types.NULL);
            } else if (v instanceof String s) {
                statement.setString(index, s);
            } else if (v instanceof Boolean b) {
                statement.setBoolean(index, b);
            } else if (v instanceof Integer || v instanceof Long) {
                statement.setLong(index, ((Number) v).longValue());
            } else if (v instanceof BigInteger big) {
                statement.setBigDecimal(index, new BigDecimal(big));
            } else if (v instanceof Number n) {
                statement.setDouble(index, n.doubleValue());
            } else {
                throw GatewayException.invalid("parameter " + index + " must be None, a bool, a number or a string");
            }
        }
    }

    private List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        int columns = meta.getColumnCount();
        List<Map<String, Object>> result = new ArrayList<>();
        long bytes = 0;
        while (rs.next()) {
            if (result.size() == maxRows) {
                throw GatewayException.failed("the result has more than " + maxRows + " rows; add a LIMIT");
            }
            Map<String, Object> row = new LinkedHashMap<>();
            for (int c = 1; c <= columns; c++) {
                Object value = value(rs.getObject(c));
                long size = value instanceof String s ? ResponseBudget.utf8Length(s) : 8;
                if (size > maxValueBytes * 4L / 3 + 4) {
                    throw GatewayException.failed("a value of the result is larger than " + maxValueBytes + " bytes");
                }
                bytes += size;
                row.put(meta.getColumnLabel(c), value);
            }
            if (bytes > maxResultBytes) {
                throw GatewayException.failed("the result is larger than " + maxResultBytes + " bytes");
            }
            result.add(row);
        }
        return result;
    }

    private static Object value(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
                || v instanceof Double || v instanceof BigInteger) {
            return v;
        }
        if (v instanceof BigDecimal d) {
            return d.scale() <= 0 ? d.toBigInteger() : d.doubleValue();
        }
        if (v instanceof Number n) {
            return n instanceof Float || n instanceof Double ? n.doubleValue() : n.longValue();
        }
        if (v instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        return v.toString();
    }

    /** Configures a {@link SqlService}. */
    public static final class Builder {
        private final String url;
        private String user;
        private String password;
        private boolean writable;
        private int maxRows = 1_000;
        private long maxResultBytes = 4L << 20;
        private int maxValueBytes = 1 << 20;
        private Duration timeout = Duration.ofSeconds(5);

        private Builder(String url) {
            this.url = url;
        }

        public Builder credentials(String user, String password) {
            this.user = user;
            this.password = password;
            return this;
        }

        /** Allows {@code execute} and writing queries (default: read-only). */
        public Builder writable(boolean writable) {
            this.writable = writable;
            return this;
        }

        /** The most rows one query may return (default 1,000); past it the call fails. */
        public Builder maxRows(int maxRows) {
            if (maxRows < 1) {
                throw new IllegalArgumentException("maxRows must be at least 1");
            }
            this.maxRows = maxRows;
            return this;
        }

        /** Roughly the most bytes one result may hold (default 4 MiB). */
        public Builder maxResultBytes(long bytes) {
            this.maxResultBytes = bytes;
            return this;
        }

        /** How long one statement may run before it is cancelled (default 5 s). */
        /**
         * The largest single value (a string or a BLOB) a statement may produce or a result may hold, in bytes
         * (default 1 MiB). For SQLite it is the engine's own length limit, so {@code zeroblob(10**9)} fails
         * before it allocates; for other databases the value is refused when read.
         */
        public Builder maxValueBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxValueBytes must be at least 1");
            }
            this.maxValueBytes = bytes;
            return this;
        }

        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive");
            }
            this.timeout = timeout;
            return this;
        }

        public SqlService build() {
            return new SqlService(this);
        }
    }
}
