package dev.cordon.capabilities.sqlite;

import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The SQLite databases of one guest's sandbox, behind the guest's {@code sqlite3} module: one JSON request in,
 * one JSON reply out ({@code {"v": value}} or {@code {"e": [exception, message, sqlite error name]}}), never an
 * exception. Every database is in memory in this JVM; one opened from a file of the guest's virtual filesystem
 * is read through it and written back through it (its permissions and quota), never by a host path
 * ({@link GuestDatabase}). What one call may hold (a database, a reply) is bounded by its {@code maxBytes}, and
 * each statement stops at the call's deadline or when the call is cancelled.
 *
 * <p>Requests ({@code op} and its fields): {@code version}; {@code open} (path or null for {@code :memory:},
 * mode {@code rwc|rw|ro}); {@code exec} (db, sql, params as a list or an object, or {@code many}: a list of
 * them; begin: the isolation level to open a transaction with before a change, or null); {@code fetch} (cur,
 * n); {@code closecur}; {@code script} (db, sql); {@code commit}, {@code rollback}, {@code close},
 * {@code changes} (db); {@code serialize} (db); {@code deserialize} (db, data); {@code copy} (src, dst).
 * Values travel as JSON: null, integers, strings, {@code {"f": repr}} for a float and {@code {"b": base64}} for
 * bytes (a float the host sends is a JSON number unless it is not finite).
 */
public final class GuestDatabases implements AutoCloseable {

    /** Whether a statement must stop now. */
    interface Deadline {
        boolean passed();
    }

    /**
     * The guest's side of SQL that calls back into Python (functions, aggregates, collations): one JSON request
     * ({@code kind}: {@code func}, {@code step}, {@code final} or {@code collate}; {@code fid}, the guest's
     * number for what it registered; {@code agg}, one aggregate's group; {@code args}, or {@code a} and
     * {@code b}) answered with {@code {"v": value}} or {@code {"e": message}}, on the thread that runs the
     * statement. It must not throw.
     */
    public interface Callbacks {
        String call(String request);
    }

    private volatile Callbacks callbacks;

    /** Where SQL's calls back into the guest go; without it, registering one is refused. */
    public void callbacks(Callbacks callbacks) {
        this.callbacks = callbacks;
    }

    private static final int BATCH_ROWS = 256;
    private static final long BATCH_BYTES = 1 << 20;
    private static final Set<String> CHANGES = Set.of("INSERT", "UPDATE", "DELETE", "REPLACE");
    private static volatile String version;
    /** SQLite's heap limit for the whole process, or 0 for none: see {@link #limitProcessHeap}. */
    private static volatile long processHeap;

    private final VirtualFileSystem fs;
    private final LongSupplier clock;
    private final Map<Integer, GuestDatabase> databases = new HashMap<>();
    private final Map<Integer, Rows> cursors = new HashMap<>();
    private int next;
    private volatile long maxBytes = 1 << 20;
    private volatile long deadlineNanos;
    private volatile boolean interrupted;
    private final Deadline deadline = this::passed;

    /** @param fs the sandbox's filesystem, where database files are read and written */
    public GuestDatabases(VirtualFileSystem fs) {
        this(fs, System::nanoTime);
    }

    GuestDatabases(VirtualFileSystem fs, LongSupplier clock) {
        this.fs = fs;
        this.clock = clock;
        this.deadlineNanos = clock.getAsLong() + Duration.ofDays(365).toNanos();
    }

    /** Whether the SQLite driver is there: without it the guest's {@code import sqlite3} is an ImportError. */
    public static boolean available() {
        try {
            Class.forName("org.sqlite.SQLiteConnection", false, GuestDatabases.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Bounds the native memory SQLite's statements may add to this process (its sorters and temporary
     * structures, beside the databases that {@code max_page_count} bounds) at {@code bytes}: a request under
     * which the process's resident memory grows past it and what the databases may hold, from where it was
     * when the request came, is stopped with MemoryError. Only for a process that runs one call at a time, such as a worker:
     * the growth measured is the whole process's. Linux only (it reads {@code /proc/self/statm}).
     */
    public static void limitProcessHeap(long bytes) {
        processHeap = Math.max(0, bytes);
    }

    /** Checks the process's growth one progress call in this many (each is 1,000 SQLite instructions). */
    private static final int MEMORY_CHECK_EVERY = 64;
    private int progressCalls;
    private volatile long residentAtRequest = -1;
    private volatile boolean memoryTripped;

    private static long resident() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/statm")).trim().split("\\s+");
            return Long.parseLong(f[1]) * 4096;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private boolean memoryPassed() {
        long limit = processHeap;
        long base = residentAtRequest;
        if (limit <= 0 || base < 0 || ++progressCalls % MEMORY_CHECK_EVERY != 0) {
            return false;
        }
        long now = resident();
        // Beyond what its databases may hold (max_page_count bounds those): limit for the rest.
        if (now >= 0 && now - base > limit + maxBytes) {
            memoryTripped = true;
        }
        return memoryTripped;
    }

    /** Points the databases at a call: the most it may hold at once, and the time it has left. */
    public void bind(long maxBytes, Duration timeLeft) {
        this.maxBytes = Math.max(1, maxBytes);
        this.deadlineNanos = clock.getAsLong() + timeLeft.toNanos();
        this.interrupted = false;
        this.memoryTripped = false;
    }

    private boolean passed() {
        return interrupted || clock.getAsLong() - deadlineNanos > 0 || memoryPassed();
    }

    /** Stops the statement running now, and every later one until the next {@link #bind}. */
    public void interrupt() {
        interrupted = true;
    }

    /** Answers one request. */
    public synchronized String handle(String request) {
        Map<String, Object> reply = new LinkedHashMap<>();
        residentAtRequest = processHeap > 0 ? resident() : -1;
        memoryTripped = false;
        try {
            if (!available()) {
                throw new SqliteRefusal("ImportError", "the host has no SQLite driver", null);
            }
            Object parsed = request == null || request.length() > maxBytes + (1 << 16) ? null : Json.UNTRUSTED.readValue(request, Object.class);
            if (!(parsed instanceof Map<?, ?> r)) {
                throw new SqliteRefusal("InterfaceError", "a request the sandbox cannot read", null);
            }
            reply.put("v", answer(r));
        } catch (SqliteRefusal e) {
            reply.put("e", java.util.Arrays.asList(e.type(), e.getMessage(), e.errorName()));
        } catch (SQLException e) {
            SqliteRefusal r = memoryTripped ? new SqliteRefusal("MemoryError", "the statement needed more memory than"
                    + " the call may use (" + processHeap + " bytes)", "SQLITE_NOMEM") : SqliteRefusal.of(e);
            memoryTripped = false;
            reply.put("e", java.util.Arrays.asList(r.type(), r.getMessage(), r.errorName()));
        } catch (OutOfMemoryError e) {
            reply.put("e", java.util.Arrays.asList("MemoryError", "the database needs more memory than the host has", null));
        } catch (Exception e) {
            reply.put("e", java.util.Arrays.asList("InterfaceError", "a request the sandbox cannot read", null));
        }
        return Json.write(reply);
    }

    private Object answer(Map<?, ?> r) throws SQLException, SqliteRefusal {
        String op = text(r, "op");
        return switch (op) {
            case "version" -> sqliteVersion();
            case "open" -> open(r);
            case "exec" -> exec(db(r, "db"), r);
            case "fetch" -> fetch(r);
            case "closecur" -> {
                Rows rows = cursors.remove(integer(r, "cur"));
                if (rows != null) {
                    rows.close();
                }
                yield null;
            }
            case "script" -> script(db(r, "db"), text(r, "sql"));
            case "commit" -> end(db(r, "db"), "COMMIT");
            case "rollback" -> end(db(r, "db"), "ROLLBACK");
            case "close" -> {
                GuestDatabase db = databases.remove(integer(r, "db"));
                if (db != null) {
                    cursors.values().removeIf(rows -> rows.closeIf(db));
                    db.close();
                }
                yield null;
            }
            case "changes" -> db(r, "db").totalChanges();
            case "function", "aggregate", "collation" -> {
                Callbacks c = callbacks;
                if (c == null) {
                    throw new SqliteRefusal("NotSupportedError", "SQL cannot call back into Python here", null);
                }
                GuestCallbacks.register(db(r, "db").connection(), op, text(r, "name"),
                        r.get("narg") instanceof Integer n ? n : -1, r.get("fid") instanceof Integer f ? f : null,
                        Boolean.TRUE.equals(r.get("deterministic")), c);
                yield null;
            }
            case "serialize" -> bytes(db(r, "db").serialize());
            case "deserialize" -> {
                GuestDatabase db = db(r, "db");
                Object data = r.get("data");
                byte[] content = data instanceof Map<?, ?> m && m.get("b") instanceof String s ? Base64.getDecoder().decode(s) : null;
                if (content == null) {
                    throw SqliteRefusal.programming("deserialize needs bytes");
                }
                db.replace(content);
                db.persist();
                yield null;
            }
            case "copy" -> {
                GuestDatabase target = db(r, "dst");
                target.replace(db(r, "src").serialize());
                target.persist();
                yield null;
            }
            default -> throw new SqliteRefusal("InterfaceError", "no such request", null);
        };
    }

    private static String sqliteVersion() throws SQLException {
        String v = version;
        if (v == null) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT sqlite_version()")) {
                rs.next();
                v = rs.getString(1);
            }
            version = v;
        }
        return v;
    }

    private int open(Map<?, ?> r) throws SQLException, SqliteRefusal {
        Object path = r.get("path");
        String mode = r.get("mode") instanceof String m && (m.equals("rw") || m.equals("ro")) ? m : "rwc";
        VirtualPath file = null;
        if (path instanceof String p) {
            if (!p.startsWith("/") || p.indexOf('\0') >= 0) {
                throw new SqliteRefusal("OperationalError", "unable to open database file", "SQLITE_CANTOPEN");
            }
            file = VirtualPath.of(p);
        }
        if (databases.size() >= 64) {
            throw new SqliteRefusal("OperationalError", "too many databases open in this sandbox (64)", "SQLITE_CANTOPEN");
        }
        GuestDatabase db = GuestDatabase.open(fs, file, mode, maxBytes, deadline);
        int id = ++next;
        databases.put(id, db);
        return id;
    }

    private Map<String, Object> exec(GuestDatabase db, Map<?, ?> r) throws SQLException, SqliteRefusal {
        String sql = text(r, "sql");
        SqlText text = new SqlText(sql);
        check(text);
        if (text.moreThanOneStatement()) {
            throw SqliteRefusal.programming("You can only execute one statement at a time.");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        String first = text.firstWord();
        Object many = r.get("many");
        if (many != null && !CHANGES.contains(first)) {
            throw SqliteRefusal.programming("executemany() can only execute DML statements.");
        }
        if (text.tokens().isEmpty()) {
            out.put("cols", null);
            out.put("rows", List.of());
            out.put("cur", null);
            out.put("rowcount", -1);
            out.put("intx", db.inTransaction());
            return out;
        }
        if (r.get("begin") instanceof String level && CHANGES.contains(first) && !db.inTransaction()) {
            String begin = "BEGIN " + level;
            try (Statement s = db.connection().createStatement()) {
                s.execute(begin);
            }
            db.ran(new SqlText(begin), 0);
        }
        List<?> sets = many instanceof List<?> l ? l : java.util.Collections.singletonList(r.get("params"));
        List<String> names = new ArrayList<>();
        boolean named = sets.stream().anyMatch(p -> p instanceof Map);
        String prepared = named ? text.numbered(names) : sql;
        long before = db.totalChanges();
        long rowcount = CHANGES.contains(first) ? 0 : -1;
        Rows rows = null;
        PreparedStatement ps = db.connection().prepareStatement(prepared);
        try {
            int wanted = ps.getParameterMetaData().getParameterCount();
            for (Object params : sets) {
                bind(ps, params, text, names, wanted);
                boolean hasRows = ps.execute();
                if (CHANGES.contains(first) && !hasRows) {
                    rowcount += db.connection().unwrap(org.sqlite.SQLiteConnection.class).getDatabase().changes();
                }
                if (hasRows) {
                    rows = new Rows(db, ps, ps.getResultSet());
                }
            }
            db.ran(text, before);
            if (first.equals("INSERT") || first.equals("REPLACE")) {
                out.put("lastrowid", db.lastInsertRowId());
            }
            if (rows != null) {
                out.put("cols", rows.columns());
                out.put("rows", rows.batch(BATCH_ROWS, maxBytes));
                if (rows.done()) {
                    rows.close();
                    out.put("cur", null);
                } else {
                    int id = ++next;
                    cursors.put(id, rows);
                    out.put("cur", id);
                }
                if (CHANGES.contains(first)) {
                    rowcount = db.totalChanges() - before;
                }
            } else {
                ps.close();
                out.put("cols", null);
                out.put("rows", List.of());
                out.put("cur", null);
            }
        } catch (SQLException | SqliteRefusal | RuntimeException e) {
            if (rows != null) {
                rows.close();
            } else {
                ps.close();
            }
            throw e;
        }
        out.put("rowcount", rowcount);
        db.persist();
        out.put("intx", db.inTransaction());
        return out;
    }

    private static void check(SqlText text) throws SqliteRefusal {
        String pragma = text.refusedPragma();
        if (pragma != null) {
            throw new SqliteRefusal("OperationalError", "not authorized: the sandbox sets PRAGMA " + pragma, "SQLITE_AUTH");
        }
    }

    private void bind(PreparedStatement ps, Object params, SqlText text, List<String> names, int wanted)
            throws SQLException, SqliteRefusal {
        if (params instanceof Map<?, ?> map) {
            if (text.tokens().stream().anyMatch(t -> t.kind() == SqlText.Kind.PARAMETER && t.text().startsWith("?"))) {
                throw SqliteRefusal.programming("Binding 1 has no name, but you supplied a dictionary (which has only names).");
            }
            for (int i = 0; i < names.size(); i++) {
                if (!map.containsKey(names.get(i))) {
                    throw SqliteRefusal.programming("You did not supply a value for binding parameter :" + names.get(i) + ".");
                }
                set(ps, i + 1, map.get(names.get(i)));
            }
            return;
        }
        List<?> list = params instanceof List<?> l ? l : List.of();
        if (list.size() != wanted) {
            throw SqliteRefusal.programming("Incorrect number of bindings supplied. The current statement uses "
                    + wanted + ", and there are " + list.size() + " supplied.");
        }
        for (int i = 0; i < list.size(); i++) {
            set(ps, i + 1, list.get(i));
        }
    }

    private static void set(PreparedStatement ps, int index, Object v) throws SQLException, SqliteRefusal {
        if (v == null) {
            ps.setNull(index, java.sql.Types.NULL);
        } else if (v instanceof Boolean b) {
            ps.setLong(index, b ? 1 : 0);
        } else if (v instanceof Integer || v instanceof Long) {
            ps.setLong(index, ((Number) v).longValue());
        } else if (v instanceof Number n) {
            if (n instanceof java.math.BigInteger) {
                throw new SqliteRefusal("OverflowError", "Python int too large to convert to SQLite INTEGER", null);
            }
            ps.setDouble(index, n.doubleValue());
        } else if (v instanceof String s) {
            ps.setString(index, s);
        } else if (v instanceof Map<?, ?> m && m.get("b") instanceof String b64) {
            ps.setBytes(index, Base64.getDecoder().decode(b64));
        } else if (v instanceof Map<?, ?> m && m.get("f") instanceof String f) {
            ps.setDouble(index, switch (f) {
                case "inf" -> Double.POSITIVE_INFINITY;
                case "-inf" -> Double.NEGATIVE_INFINITY;
                case "nan" -> Double.NaN;
                default -> Double.parseDouble(f);
            });
        } else {
            throw SqliteRefusal.programming("Error binding parameter " + index + ": type is not supported");
        }
    }

    private Map<String, Object> fetch(Map<?, ?> r) throws SQLException, SqliteRefusal {
        int id = integer(r, "cur");
        Rows rows = cursors.get(id);
        Map<String, Object> out = new LinkedHashMap<>();
        if (rows == null) {
            out.put("rows", List.of());
            out.put("cur", null);
            return out;
        }
        int n = (int) Math.max(1, Math.min(BATCH_ROWS * 4L, r.get("n") instanceof Number x ? x.longValue() : BATCH_ROWS));
        out.put("rows", rows.batch(n, maxBytes));
        if (rows.done()) {
            cursors.remove(id);
            rows.close();
            out.put("cur", null);
        } else {
            out.put("cur", id);
        }
        return out;
    }

    private Map<String, Object> script(GuestDatabase db, String sql) throws SQLException, SqliteRefusal {
        SqlText text = new SqlText(sql);
        check(text);
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            db.connection().unwrap(org.sqlite.SQLiteConnection.class).getDatabase()._exec(sql);
        } finally {
            db.ranScript(text);
        }
        db.persist();
        out.put("intx", db.inTransaction());
        return out;
    }

    private Map<String, Object> end(GuestDatabase db, String how) throws SQLException, SqliteRefusal {
        if (db.inTransaction()) {
            try (Statement s = db.connection().createStatement()) {
                s.execute(how);
            }
        }
        db.persist();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("intx", db.inTransaction());
        return out;
    }

    private GuestDatabase db(Map<?, ?> r, String field) throws SqliteRefusal {
        GuestDatabase db = databases.get(integer(r, field));
        if (db == null) {
            throw SqliteRefusal.programming("Cannot operate on a closed database.");
        }
        return db;
    }

    private static String text(Map<?, ?> r, String field) throws SqliteRefusal {
        if (r.get(field) instanceof String s) {
            return s;
        }
        throw new SqliteRefusal("InterfaceError", "a request without its " + field, null);
    }

    private static int integer(Map<?, ?> r, String field) throws SqliteRefusal {
        if (r.get(field) instanceof Integer i) {
            return i;
        }
        throw new SqliteRefusal("InterfaceError", "a request without its " + field, null);
    }

    static Map<String, Object> bytes(byte[] b) {
        return Map.of("b", Base64.getEncoder().encodeToString(b));
    }

    /** Closes every database: what was not committed is lost, as when a process ends. */
    @Override
    public synchronized void close() {
        cursors.values().forEach(Rows::close);
        cursors.clear();
        databases.values().forEach(GuestDatabase::close);
        databases.clear();
    }

    /** A statement's rows still to be fetched. */
    private static final class Rows {
        private final GuestDatabase db;
        private final PreparedStatement statement;
        private final ResultSet rs;
        private final int width;
        private boolean done;

        Rows(GuestDatabase db, PreparedStatement statement, ResultSet rs) throws SQLException {
            this.db = db;
            this.statement = statement;
            this.rs = rs;
            this.width = rs.getMetaData().getColumnCount();
        }

        List<List<Object>> columns() throws SQLException {
            ResultSetMetaData m = rs.getMetaData();
            List<List<Object>> cols = new ArrayList<>();
            for (int i = 1; i <= width; i++) {
                cols.add(java.util.Arrays.asList(m.getColumnLabel(i), m.getColumnTypeName(i)));
            }
            return cols;
        }

        List<List<Object>> batch(int n, long maxBytes) throws SQLException, SqliteRefusal {
            List<List<Object>> out = new ArrayList<>();
            long bytes = 0;
            while (out.size() < n && bytes < BATCH_BYTES && !done) {
                if (!rs.next()) {
                    done = true;
                    break;
                }
                List<Object> row = new ArrayList<>(width);
                for (int i = 1; i <= width; i++) {
                    Object v = rs.getObject(i);
                    if (v instanceof byte[] b) {
                        bytes += b.length * 4L / 3 + 8;
                        v = bytes(b);
                    } else if (v instanceof String s) {
                        bytes += s.length() * 2L + 8;
                    } else if (v instanceof Double d && !Double.isFinite(d)) {
                        v = Map.of("f", d.isNaN() ? "nan" : d > 0 ? "inf" : "-inf");
                        bytes += 16;
                    } else {
                        bytes += 16;
                    }
                    row.add(v);
                }
                if (bytes > maxBytes) {
                    throw new SqliteRefusal("MemoryError", "the rows are larger than this call may hold ("
                            + maxBytes + " bytes)", null);
                }
                out.add(row);
            }
            return out;
        }

        boolean done() {
            return done;
        }

        boolean closeIf(GuestDatabase closing) {
            if (db == closing) {
                close();
                return true;
            }
            return false;
        }

        void close() {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // Already finalized with its connection.
            }
        }
    }
}
