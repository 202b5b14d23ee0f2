package dev.cordon.engine.pypy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the Python reprs the recorded transcripts are written in: numbers, strings and byte strings,
 * None/True/False, tuples, lists, {@code Ptr(0x...)}, {@code OSError(errno=N)} and {@code <data elided>}.
 */
final class PythonLiteral {

    /** A pointer in the recorded child's memory. */
    record Ptr(long address) {
    }

    /** A recorded OSError with its errno. */
    record Failure(int errno) {
    }

    /** A value the recording left out. */
    static final Object ELIDED = new Object();

    private final String s;
    private int i;

    private PythonLiteral(String s, int start) {
        this.s = s;
        this.i = start;
    }

    /** Parses the value at {@code start}; {@link #end()} then tells where it stopped. */
    static PythonLiteral at(String s, int start) {
        return new PythonLiteral(s, start);
    }

    static Object parse(String s) {
        return at(s.strip(), 0).value();
    }

    int end() {
        return i;
    }

    Object value() {
        skip();
        char c = s.charAt(i);
        if (c == '(' || c == '[') {
            char close = c == '(' ? ')' : ']';
            i++;
            List<Object> items = new ArrayList<>();
            skip();
            while (s.charAt(i) != close) {
                items.add(value());
                skip();
                if (s.charAt(i) == ',') {
                    i++;
                    skip();
                }
            }
            i++;
            return c == '(' ? new Marshal.Tuple(items) : items;
        }
        if (c == '\'' || c == '"') {
            return string();
        }
        if (c == 'b' && (s.charAt(i + 1) == '\'' || s.charAt(i + 1) == '"')) {
            i++;
            return string();
        }
        if (s.startsWith("<data elided>", i)) {
            i += "<data elided>".length();
            return ELIDED;
        }
        for (String word : new String[]{"None", "True", "False"}) {
            if (s.startsWith(word, i)) {
                i += word.length();
                return word.equals("None") ? null : Boolean.valueOf(word.equals("True"));
            }
        }
        if (s.startsWith("Ptr(0x", i)) {
            int close = s.indexOf(')', i);
            long address = Long.parseUnsignedLong(s.substring(i + 6, close), 16);
            i = close + 1;
            return new Ptr(address);
        }
        if (s.startsWith("OSError(errno=", i)) {
            int close = s.indexOf(')', i);
            int errno = Integer.parseInt(s.substring(i + 14, close));
            i = close + 1;
            return new Failure(errno);
        }
        int start = i;
        while (i < s.length() && "+-0123456789.eExabcdefABCDEF".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        String number = s.substring(start, i);
        if (number.contains(".") || number.contains("e") && !number.startsWith("0x")) {
            return Double.parseDouble(number);
        }
        return Long.parseLong(number);
    }

    private byte[] string() {
        char quote = s.charAt(i++);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (s.charAt(i) != quote) {
            char c = s.charAt(i++);
            if (c != '\\') {
                out.write(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> out.write('\n');
                case 't' -> out.write('\t');
                case 'r' -> out.write('\r');
                case '0' -> out.write(0);
                case 'x' -> {
                    out.write(Integer.parseInt(s.substring(i, i + 2), 16));
                    i += 2;
                }
                default -> out.write(e);
            }
        }
        i++;
        return out.toByteArray();
    }

    private void skip() {
        while (i < s.length() && s.charAt(i) == ' ') {
            i++;
        }
    }
}
