package dev.cordon.engine.pypy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values of the legacy sandbox protocol: the subset of CPython's marshal format (version 0) that RPython's
 * {@code rmarshal} reads and writes. On the wire they are:
 *
 * <table>
 * <tr><th>tag</th><th>value</th><th>Java</th></tr>
 * <tr><td>{@code N}</td><td>None</td><td>{@code null}</td></tr>
 * <tr><td>{@code T} / {@code F}</td><td>True / False</td><td>{@link Boolean}</td></tr>
 * <tr><td>{@code i}</td><td>int32, little-endian</td><td>{@link Long}</td></tr>
 * <tr><td>{@code I}</td><td>int64, little-endian</td><td>{@link Int64}</td></tr>
 * <tr><td>{@code f}</td><td>float as up to 255 ASCII characters</td><td>{@link Double}</td></tr>
 * <tr><td>{@code s}</td><td>byte string with an int32 length</td><td>{@code byte[]}</td></tr>
 * <tr><td>{@code (}</td><td>tuple with an int32 count</td><td>{@link Tuple}</td></tr>
 * <tr><td>{@code [}</td><td>list with an int32 count</td><td>{@link List}</td></tr>
 * <tr><td><code>{</code></td><td>dict, pairs ended by {@code 0}</td><td>{@link Map}</td></tr>
 * </table>
 *
 * <p>The two integer tags decode to different types so that a message re-encodes to the same bytes. The
 * decoder trusts nothing: lengths, counts and nesting are bounded before anything is allocated.
 */
public final class Marshal {

    /** The largest string one message may carry: a write of the interpreter's biggest buffer fits. */
    public static final int MAX_STRING = 16 << 20;
    /** The most items one tuple, list or dict may have. */
    public static final int MAX_ITEMS = 100_000;
    /** How deeply containers may nest. */
    public static final int MAX_DEPTH = 16;

    private Marshal() {
    }

    /** A marshal tuple. */
    public record Tuple(List<Object> items) {
        public Tuple {
            items = java.util.Collections.unmodifiableList(new ArrayList<>(items));
        }

        public static Tuple of(Object... items) {
            return new Tuple(java.util.Arrays.asList(items));
        }

        public int size() {
            return items.size();
        }

        public Object get(int i) {
            return items.get(i);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tuple t && deepEquals(items, t.items);
        }

        @Override
        public int hashCode() {
            return items.size();
        }
    }

    /** An integer sent with the 8-byte tag {@code I}, as the interpreter sends every int on 64-bit hosts. */
    public record Int64(long value) {
    }

    /**
     * Reads one value.
     *
     * @return the value, or {@link #END} if the stream ended cleanly before its first byte
     * @throws ProtocolException on a malformed or truncated value
     */
    static Object read(ChildStream in) throws IOException {
        int tag = in.next();
        if (tag < 0) {
            return END;
        }
        return read(in, tag, 0);
    }

    /** What {@link #read} returns at a clean end of stream. */
    static final Object END = new Object() {
        @Override
        public String toString() {
            return "<end of stream>";
        }
    };

    private static Object read(ChildStream in, int tag, int depth) throws IOException {
        switch (tag) {
            case 'N':
                return null;
            case 'T':
                return Boolean.TRUE;
            case 'F':
                return Boolean.FALSE;
            case 'i':
                return (long) in.readInt32();
            case 'I':
                return new Int64(in.readInt64());
            case 'f': {
                int n = in.readByte();
                String text = new String(in.readBytes(n, 255, "a float"), StandardCharsets.US_ASCII);
                return parseFloat(text);
            }
            case 's':
                return in.readBytes(in.readInt32(), MAX_STRING, "a string");
            case '(':
            case '[': {
                List<Object> items = items(in, depth);
                return tag == '(' ? new Tuple(items) : items;
            }
            case '{': {
                checkDepth(depth);
                Map<Object, Object> map = new LinkedHashMap<>();
                while (true) {
                    int keyTag = in.readByte();
                    if (keyTag == '0') {
                        return map;
                    }
                    if (map.size() >= MAX_ITEMS) {
                        throw new ProtocolException("a dict with more than " + MAX_ITEMS + " items");
                    }
                    Object key = read(in, keyTag, depth + 1);
                    map.put(key instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) : key,
                            read(in, in.readByte(), depth + 1));
                }
            }
            default:
                throw new ProtocolException(String.format("unknown marshal tag 0x%02x at byte %d", tag,
                        in.position() - 1));
        }
    }

    private static List<Object> items(ChildStream in, int depth) throws IOException {
        checkDepth(depth);
        int count = in.readInt32();
        if (count < 0 || count > MAX_ITEMS) {
            throw new ProtocolException("a container of " + count + " items is out of bounds (at most "
                    + MAX_ITEMS + ")");
        }
        List<Object> items = new ArrayList<>(Math.min(count, 64));
        for (int i = 0; i < count; i++) {
            items.add(read(in, in.readByte(), depth + 1));
        }
        return items;
    }

    private static void checkDepth(int depth) throws ProtocolException {
        if (depth >= MAX_DEPTH) {
            throw new ProtocolException("containers nested deeper than " + MAX_DEPTH);
        }
    }

    private static double parseFloat(String text) throws ProtocolException {
        switch (text) {
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            case "nan":
            case "-nan":
                return Double.NaN;
            default:
                break;
        }
        if (!text.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
            throw new ProtocolException("malformed float " + text);
        }
        return Double.parseDouble(text);
    }

    /** Encodes one value; a {@link Long} takes {@code i} when it fits in 32 bits, {@code I} otherwise. */
    public static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, value);
        return out.toByteArray();
    }

    static void write(ByteArrayOutputStream out, Object value) {
        if (value == null) {
            out.write('N');
        } else if (value instanceof Boolean b) {
            out.write(b ? 'T' : 'F');
        } else if (value instanceof Int64 l) {
            out.write('I');
            writeInt64(out, l.value());
        } else if (value instanceof Long || value instanceof Integer) {
            long v = ((Number) value).longValue();
            if (v == (int) v) {
                out.write('i');
                writeInt32(out, (int) v);
            } else {
                out.write('I');
                writeInt64(out, v);
            }
        } else if (value instanceof Double d) {
            byte[] text = formatFloat(d).getBytes(StandardCharsets.US_ASCII);
            out.write('f');
            out.write(text.length);
            out.writeBytes(text);
        } else if (value instanceof byte[] s) {
            out.write('s');
            writeInt32(out, s.length);
            out.writeBytes(s);
        } else if (value instanceof String s) {
            write(out, s.getBytes(StandardCharsets.UTF_8));
        } else if (value instanceof Tuple t) {
            out.write('(');
            writeItems(out, t.items());
        } else if (value instanceof List<?> l) {
            out.write('[');
            writeItems(out, l);
        } else if (value instanceof Map<?, ?> m) {
            out.write('{');
            for (Map.Entry<?, ?> e : m.entrySet()) {
                write(out, e.getKey() instanceof String s ? s.getBytes(StandardCharsets.ISO_8859_1) : e.getKey());
                write(out, e.getValue());
            }
            out.write('0');
        } else {
            throw new IllegalArgumentException("no marshal form for " + value.getClass().getName());
        }
    }

    private static void writeItems(ByteArrayOutputStream out, List<?> items) {
        writeInt32(out, items.size());
        for (Object item : items) {
            write(out, item);
        }
    }

    /**
     * A float as the interpreter parses it: integral values without a fraction ("0", "1564617600"), others
     * with the shortest digits that read back to the same double.
     */
    static String formatFloat(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return Long.toString((long) d);
        }
        return new BigDecimal(Double.toString(d)).toString();
    }

    static void writeInt32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    static void writeInt64(ByteArrayOutputStream out, long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    /** The integer a message carries, whichever tag it came with. */
    static long asLong(Object value) throws ProtocolException {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Int64 l) {
            return l.value();
        }
        throw new ProtocolException("expected an integer, got " + describe(value));
    }

    static byte[] asBytes(Object value) throws ProtocolException {
        if (value instanceof byte[] b) {
            return b;
        }
        throw new ProtocolException("expected a string, got " + describe(value));
    }

    static double asDouble(Object value) throws ProtocolException {
        if (value instanceof Double d) {
            return d;
        }
        return asLong(value);
    }

    static String describe(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof byte[] b) {
            return "a string of " + b.length + " bytes";
        }
        return value.getClass().getSimpleName();
    }

    static boolean deepEquals(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return java.util.Arrays.equals(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!deepEquals(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Double x && b instanceof Double y) {
            return Double.compare(x, y) == 0;
        }
        return java.util.Objects.equals(a, b);
    }
}
