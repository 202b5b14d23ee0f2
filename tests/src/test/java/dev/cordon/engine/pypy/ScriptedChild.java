package dev.cordon.engine.pypy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Plays a sandboxed interpreter against a real controller over pipes: it sends recorded calls and answers
 * the controller's memory commands from the recorded memory, as the real process would.
 */
final class ScriptedChild {

    /** A controller's command to the child, as parsed from its bytes. */
    record Command(char kind, long address, long size, byte[] data, long value) {
    }

    /** How the controller answered one call: its commands, then the result. */
    record Answer(List<Command> commands, char kind, long value, Integer errno, byte[] raw) {
        boolean failed() {
            return errno != null;
        }
    }

    private ScriptedChild() {
    }

    /** Serves every call with a controller of the sandbox-2 protocol; returns its answers in order. */
    static List<Answer> sandbox2(Controller controller, List<RecordedCalls.Sandbox2Call> calls) throws Exception {
        PipedOutputStream childOut = new PipedOutputStream();
        PipedInputStream controllerIn = new PipedInputStream(childOut, 1 << 20);
        PipedOutputStream controllerOut = new PipedOutputStream();
        PipedInputStream childIn = new PipedInputStream(controllerOut, 1 << 20);
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            try (controllerOut) {
                controller.serve(controllerIn, controllerOut);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        List<Answer> answers = new ArrayList<>();
        long nextMalloc = 0x10000;
        try {
            for (RecordedCalls.Sandbox2Call call : calls) {
                ByteArrayOutputStream request = new ByteArrayOutputStream();
                byte[] sig = call.signature().getBytes(StandardCharsets.US_ASCII);
                request.write(sig.length);
                request.writeBytes(sig);
                for (long a : call.args()) {
                    request.writeBytes(Sandbox2Controller.words(a));
                }
                childOut.write(request.toByteArray());
                childOut.flush();
                Recorder in = new Recorder(childIn);
                List<Command> commands = new ArrayList<>();
                Integer errno = null;
                while (true) {
                    int kind = in.read();
                    if (kind < 0) {
                        throw new IOException("the controller closed the pipe after call " + call.number());
                    }
                    switch (kind) {
                        case 'R' -> {
                            long address = in.word();
                            long size = in.word();
                            byte[] data = java.util.Arrays.copyOf(call.memory().getOrDefault(address, new byte[0]),
                                    (int) size);
                            commands.add(new Command('R', address, size, null, 0));
                            childOut.write(data);
                            childOut.flush();
                        }
                        case 'Z' -> {
                            long address = in.word();
                            long max = in.word();
                            byte[] s = call.memory().getOrDefault(address, new byte[0]);
                            int n = (int) Math.min(s.length, max);
                            commands.add(new Command('Z', address, max, null, 0));
                            childOut.write(Sandbox2Controller.words(n));
                            childOut.write(s, 0, n);
                            childOut.flush();
                        }
                        case 'W' -> {
                            long address = in.word();
                            long size = in.word();
                            commands.add(new Command('W', address, size, in.bytes((int) size), 0));
                        }
                        case 'M' -> {
                            long size = in.word();
                            commands.add(new Command('M', 0, size, in.bytes((int) size), nextMalloc));
                            childOut.write(Sandbox2Controller.words(nextMalloc));
                            childOut.flush();
                            nextMalloc += 0x1000;
                        }
                        case 'F' -> commands.add(new Command('F', in.word(), 0, null, 0));
                        case 'E' -> errno = ByteBuffer.wrap(in.bytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
                        case 'v' -> {
                        }
                        case 'i', 'p', 'f' -> {
                        }
                        default -> throw new IOException("unknown command byte " + kind + " after call "
                                + call.number());
                    }
                    if (kind == 'v' || kind == 'i' || kind == 'p' || kind == 'f') {
                        long value = kind == 'v' ? 0 : in.word();
                        answers.add(new Answer(commands, (char) kind, value, errno, in.raw()));
                        break;
                    }
                }
            }
        } finally {
            childOut.close();
        }
        served.get(10, TimeUnit.SECONDS);
        return answers;
    }

    /** Reads the controller's bytes and keeps a copy of them. */
    private static final class Recorder {
        private final DataInputStream in;
        private final ByteArrayOutputStream raw = new ByteArrayOutputStream();

        Recorder(InputStream in) {
            this.in = new DataInputStream(in);
        }

        int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                raw.write(b);
            }
            return b;
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            in.readFully(b);
            raw.writeBytes(b);
            return b;
        }

        long word() throws IOException {
            return ByteBuffer.wrap(bytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        byte[] raw() {
            return raw.toByteArray();
        }
    }

    /** Splits a recorded controller stream into its commands, as {@link #sandbox2} parses them live. */
    static List<List<Command>> parseSandbox2Replies(byte[] p2c) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(p2c));
        List<List<Command>> steps = new ArrayList<>();
        List<Command> current = new ArrayList<>();
        while (true) {
            int kind = in.read();
            if (kind < 0) {
                return steps;
            }
            switch (kind) {
                case 'R', 'Z' -> current.add(new Command((char) kind, word(in), word(in), null, 0));
                case 'W' -> {
                    long address = word(in);
                    long size = word(in);
                    byte[] data = new byte[(int) size];
                    in.readFully(data);
                    current.add(new Command('W', address, size, data, 0));
                }
                case 'M' -> {
                    long size = word(in);
                    byte[] data = new byte[(int) size];
                    in.readFully(data);
                    current.add(new Command('M', 0, size, data, 0));
                }
                case 'F' -> current.add(new Command('F', word(in), 0, null, 0));
                case 'E' -> current.add(new Command('E', 0, 0, null, Integer.reverseBytes(in.readInt())));
                case 'v' -> {
                    current.add(new Command('v', 0, 0, null, 0));
                    steps.add(current);
                    current = new ArrayList<>();
                }
                case 'i', 'p', 'f' -> {
                    current.add(new Command((char) kind, 0, 0, null, word(in)));
                    steps.add(current);
                    current = new ArrayList<>();
                }
                default -> throw new IOException("unknown command byte " + kind);
            }
        }
    }

    private static long word(DataInputStream in) throws IOException {
        return Long.reverseBytes(in.readLong());
    }

    /** Sends raw bytes as the child's whole output and returns what the controller wrote back. */
    static byte[] raw(Controller controller, byte[] fromChild) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        controller.serve(new java.io.ByteArrayInputStream(fromChild), out);
        return out.toByteArray();
    }
}
