package dev.cordon.capabilities.sqlite;

import dev.cordon.capabilities.Json;
import org.sqlite.Collation;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SQL functions, aggregates and collations whose work is the guest's Python: SQLite calls them while a
 * statement runs, on the guest's own thread, and each call crosses to the guest as one JSON request
 * ({@link GuestDatabases.Callbacks}). A failure on the guest's side is the statement's error, with CPython's
 * message.
 */
final class GuestCallbacks {

    private GuestCallbacks() {
    }

    /** Registers (or, with {@code fid} null, removes) what the guest gave for {@code name}. */
    static void register(Connection c, String kind, String name, int narg, Integer fid, boolean deterministic,
                         GuestDatabases.Callbacks callbacks) throws SQLException, SqliteRefusal {
        if (name.isEmpty() || name.length() > 255) {
            throw SqliteRefusal.programming("a function's name must have 1 to 255 characters");
        }
        switch (kind) {
            case "function" -> {
                if (fid == null) {
                    // The driver's destroy leaves the function (and breaks the name); a stand-in says it is gone.
                    org.sqlite.Function.create(c, name, new Removed(name), narg, 0);
                } else {
                    org.sqlite.Function.create(c, name, new Scalar(callbacks, fid), narg,
                            deterministic ? org.sqlite.Function.FLAG_DETERMINISTIC : 0);
                }
            }
            case "aggregate" -> {
                if (fid == null) {
                    // The driver's destroy leaves the function (and breaks the name); a stand-in says it is gone.
                    org.sqlite.Function.create(c, name, new Removed(name), narg, 0);
                } else {
                    org.sqlite.Function.create(c, name, new GroupFunction(callbacks, fid, new AtomicInteger()), narg, 0);
                }
            }
            default -> {
                if (fid == null) {
                    Collation.destroy(c, name);
                } else {
                    Collation.create(c, name, new Collate(callbacks, fid));
                }
            }
        }
    }

    private static Object ask(GuestDatabases.Callbacks callbacks, Map<String, Object> request) throws Failed {
        String reply = callbacks.call(Json.write(request));
        Object parsed;
        try {
            parsed = reply == null ? null : Json.UNTRUSTED.readValue(reply, Object.class);
        } catch (Exception e) {
            parsed = null;
        }
        if (parsed instanceof Map<?, ?> m && m.containsKey("v") && !m.containsKey("e")) {
            return m.get("v");
        }
        throw new Failed();
    }

    private static final class Failed extends Exception {
        Failed() {
            super(null, null, false, false);
        }
    }

    private static List<Object> arguments(Call f) throws SQLException {
        List<Object> out = new ArrayList<>();
        for (int i = 0, n = f.argsCount().get(); i < n; i++) {
            out.add(switch (f.type().at(i)) {
                case 1 -> f.longAt().at(i);
                case 2 -> {
                    double d = f.doubleAt().at(i);
                    yield Double.isFinite(d) ? d : Map.of("f", Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf");
                }
                case 3 -> f.textAt().at(i);
                case 4 -> Map.of("b", Base64.getEncoder().encodeToString(f.blobAt().at(i)));
                default -> null;
            });
        }
        return out;
    }

    private static void answer(Call f, Object v) throws SQLException {
        if (v == null) {
            f.nullResult().run();
        } else if (v instanceof Integer || v instanceof Long) {
            f.longResult().put(((Number) v).longValue());
        } else if (v instanceof Number n) {
            f.doubleResult().put(n.doubleValue());
        } else if (v instanceof String s) {
            f.textResult().put(s);
        } else if (v instanceof Map<?, ?> m && m.get("b") instanceof String b) {
            f.blobResult().put(Base64.getDecoder().decode(b));
        } else if (v instanceof Map<?, ?> m && m.get("f") instanceof String d) {
            f.doubleResult().put(switch (d) {
                case "inf" -> Double.POSITIVE_INFINITY;
                case "-inf" -> Double.NEGATIVE_INFINITY;
                case "nan" -> Double.NaN;
                default -> Double.parseDouble(d);
            });
        } else {
            f.failed().put("user-defined function raised exception");
        }
    }

    private static Map<String, Object> request(String kind, int fid) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", kind);
        r.put("fid", fid);
        return r;
    }

    /** A read of argument {@code i}, or a write of the result, through xerial's protected access. */
    private interface At<T> {
        T at(int i) throws SQLException;
    }

    private interface Put<T> {
        void put(T v) throws SQLException;
    }

    private interface Count {
        int get() throws SQLException;
    }

    private interface Nothing {
        void run() throws SQLException;
    }

    /**
     * What a function sees of one call: xerial's protected access to its arguments and result, as method
     * references of the function object (a scalar and an aggregate are different branches of xerial's classes).
     */
    private record Call(Count argsCount, At<Integer> type, At<Long> longAt, At<Double> doubleAt, At<String> textAt,
                        At<byte[]> blobAt, Nothing nullResult, Put<Long> longResult, Put<Double> doubleResult,
                        Put<String> textResult, Put<byte[]> blobResult, Put<String> failed) {
    }

    /** What stands for a function the guest removed. */
    private static final class Removed extends org.sqlite.Function {
        private final String name;

        Removed(String name) {
            this.name = name;
        }

        @Override
        protected void xFunc() throws SQLException {
            error("no such function: " + name);
        }
    }

    /** A scalar function: one call to the guest per row. */
    private static final class Scalar extends org.sqlite.Function {
        private final GuestDatabases.Callbacks callbacks;
        private final int fid;

        Scalar(GuestDatabases.Callbacks callbacks, int fid) {
            this.callbacks = callbacks;
            this.fid = fid;
        }

        @Override
        protected void xFunc() throws SQLException {
            Call call = new Call(this::args, this::value_type, this::value_long, this::value_double, this::value_text,
                    this::value_blob, this::result, this::result, this::result, this::result, this::result, this::error);
            Map<String, Object> r = request("func", fid);
            r.put("args", arguments(call));
            try {
                answer(call, ask(callbacks, r));
            } catch (Failed e) {
                error("user-defined function raised exception");
            }
        }
    }

    /** An aggregate: each group is a copy of the registered one, with a number of its own. */
    private static final class GroupFunction extends org.sqlite.Function.Aggregate {
        private final GuestDatabases.Callbacks callbacks;
        private final int fid;
        private final AtomicInteger groups;
        private int group;

        GroupFunction(GuestDatabases.Callbacks callbacks, int fid, AtomicInteger groups) {
            this.callbacks = callbacks;
            this.fid = fid;
            this.groups = groups;
        }

        /** This object's protected access (a group's own: a copy's references would be its original's). */
        private Call call() {
            return new Call(this::args, this::value_type, this::value_long, this::value_double, this::value_text,
                    this::value_blob, this::result, this::result, this::result, this::result, this::result, this::error);
        }

        @Override
        public Object clone() throws CloneNotSupportedException {
            GroupFunction copy = (GroupFunction) super.clone();
            copy.group = groups.incrementAndGet();
            return copy;
        }

        @Override
        protected void xStep() throws SQLException {
            Map<String, Object> r = request("step", fid);
            r.put("agg", group);
            r.put("args", arguments(call()));
            try {
                ask(callbacks, r);
            } catch (Failed e) {
                error("user-defined aggregate's 'step' method raised error");
            }
        }

        @Override
        protected void xFinal() throws SQLException {
            Map<String, Object> r = request("final", fid);
            r.put("agg", group);
            try {
                answer(call(), ask(callbacks, r));
            } catch (Failed e) {
                error("user-defined aggregate's 'finalize' method raised error");
            }
        }
    }

    /** A collation: one call to the guest per comparison; a failure compares equal. */
    private static final class Collate extends Collation {
        private final GuestDatabases.Callbacks callbacks;
        private final int fid;

        Collate(GuestDatabases.Callbacks callbacks, int fid) {
            this.callbacks = callbacks;
            this.fid = fid;
        }

        @Override
        protected int xCompare(String a, String b) {
            Map<String, Object> r = request("collate", fid);
            r.put("a", a);
            r.put("b", b);
            try {
                return ask(callbacks, r) instanceof Number n ? Integer.signum(Long.signum(n.longValue())) : 0;
            } catch (Failed e) {
                return 0;
            }
        }
    }
}
