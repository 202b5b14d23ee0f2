package dev.cordon.engine.pypy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The recorded traffic of real sandboxed PyPy processes, as test resources under {@code pypy-transcripts/}. */
final class RecordedCalls {

    private RecordedCalls() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = RecordedCalls.class.getResourceAsStream("/pypy-transcripts/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no transcript " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> lines(String name) {
        return new String(bytes(name), StandardCharsets.UTF_8).lines().toList();
    }

    /** One recorded legacy call: the function, its arguments, and what the stock controller answered. */
    record LegacyCall(int number, String function, Marshal.Tuple args, Object result) {
        boolean failed() {
            return result instanceof PythonLiteral.Failure;
        }
    }

    private static final Pattern LEGACY = Pattern.compile("^\\s*(\\d+) (ll_\\w+\\.ll_\\w+)(\\(.*\\)) -> (.*)$");

    static List<LegacyCall> legacy(String name) {
        List<LegacyCall> calls = new ArrayList<>();
        for (String line : lines(name)) {
            Matcher m = LEGACY.matcher(line);
            if (!m.matches()) {
                continue;
            }
            Marshal.Tuple args = (Marshal.Tuple) PythonLiteral.parse(m.group(3));
            calls.add(new LegacyCall(Integer.parseInt(m.group(1)), m.group(2), args, PythonLiteral.parse(m.group(4))));
        }
        return calls;
    }

    /**
     * One recorded sandbox-2 call: its signature and argument words, the child's memory the controller read
     * (C strings and buffers by address), and the result and errno the stock controller gave.
     */
    record Sandbox2Call(int number, String signature, long[] args, Map<Long, byte[]> memory, Object result,
                        Integer errno) {
        boolean failed() {
            return errno != null;
        }
    }

    private static final Pattern SB2 = Pattern.compile("^\\s*(\\d+) (\\w+\\([ipfv]*\\)[ipfv]) args=(\\[.*?\\])  (.*)$");
    private static final Pattern READ = Pattern.compile("^[ZR]\\([^)]*\\) Ptr\\(0x([0-9a-f]+)\\) (?:max|len)=\\d+ -> (.*)$");

    static List<Sandbox2Call> sandbox2(String name) {
        List<Sandbox2Call> calls = new ArrayList<>();
        for (String line : lines(name)) {
            Matcher m = SB2.matcher(line);
            if (m.matches()) {
                calls.add(sandbox2Call(Integer.parseInt(m.group(1)), m.group(2), m.group(3),
                        List.of(m.group(4).split(" ; "))));
            }
        }
        return calls;
    }

    /** The calls of a mini transcript's {@code .log.txt}, whose notes say the same as a calls file's lines. */
    static List<Sandbox2Call> sandbox2Log(String name) {
        List<Sandbox2Call> calls = new ArrayList<>();
        Pattern child = Pattern.compile("^# child calls (\\w+\\([ipfv]*\\)[ipfv]) args=(\\[.*\\])$");
        String signature = null;
        String args = null;
        List<String> commands = new ArrayList<>();
        for (String line : lines(name)) {
            Matcher m = child.matcher(line);
            if (m.matches() || line.startsWith("# exit code")) {
                if (signature != null) {
                    calls.add(sandbox2Call(calls.size() + 1, signature, args, commands));
                }
                if (m.matches()) {
                    signature = m.group(1);
                    args = m.group(2);
                    commands = new ArrayList<>();
                }
            } else if (line.startsWith("# controller ")) {
                commands.add(line.substring("# controller ".length()));
            }
        }
        return calls;
    }

    private static Sandbox2Call sandbox2Call(int number, String signature, String argText, List<String> commands) {
        List<?> argList = (List<?>) PythonLiteral.parse(argText);
        long[] args = new long[argList.size()];
        for (int i = 0; i < args.length; i++) {
            Object a = argList.get(i);
            args[i] = a instanceof PythonLiteral.Ptr p ? p.address() : a instanceof Double d
                    ? Double.doubleToRawLongBits(d) : (Long) a;
        }
        Map<Long, byte[]> memory = new HashMap<>();
        Object result = null;
        Integer errno = null;
        for (String c : commands) {
            c = c.strip();
            Matcher read = READ.matcher(c);
            if (read.matches()) {
                Object data = PythonLiteral.parse(read.group(2));
                if (data instanceof byte[] b) {
                    memory.put(Long.parseUnsignedLong(read.group(1), 16), b);
                }
            } else if (c.startsWith("E(set errno) ")) {
                errno = Integer.parseInt(c.substring("E(set errno) ".length()).strip());
            } else if (c.startsWith("result ")) {
                result = PythonLiteral.parse(c.substring("result ".length()));
            }
        }
        return new Sandbox2Call(number, signature, args, memory, result, errno);
    }
}
