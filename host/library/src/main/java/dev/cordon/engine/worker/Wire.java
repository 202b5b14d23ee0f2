package dev.cordon.engine.worker;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The channel between a parent and its worker: frames of {@code [int32 length][byte type][payload]} over the
 * worker's stdin and stdout. The parent treats every frame from a worker as hostile (a guest that escaped
 * GraalPy inside the worker owns its end): the length is checked against {@link #MAX_FRAME} before anything is
 * allocated, each field of a payload against what remains of it, and text must be valid UTF-8. Any violation is
 * a {@link ProtocolViolation}, which ends that worker and that call, and nobody else's.
 */
final class Wire {

    /** The largest frame either side sends: a chunk of output or of a file, a result, a gateway reply. */
    static final int MAX_FRAME = 16 << 20;
    /** The most items in one list of a payload (names in a directory, argv, events). */
    static final int MAX_ITEMS = 100_000;

    // Parent to worker.
    static final byte HELLO = 1;
    static final byte RUN = 2;
    static final byte REPLY = 3;
    static final byte CANCEL = 4;
    static final byte PARSE = 5;
    static final byte END_SESSION = 6;

    // Worker to parent.
    static final byte READY = 20;
    static final byte FS = 21;
    static final byte BRIDGE = 22;
    static final byte STDIN = 23;
    static final byte OUT = 24;
    static final byte TICK = 25;
    static final byte DONE = 26;
    static final byte PARSED = 27;

    private Wire() {
    }

    /** A frame that breaks the protocol: too long, truncated, a bad field, an unknown type. */
    static final class ProtocolViolation extends IOException {
        ProtocolViolation(String message) {
            super(message);
        }
    }

    /** One frame as read. */
    record Frame(byte type, byte[] payload) {
        Reader reader() {
            return new Reader(payload);
        }
    }

    /**
     * Reads the next frame; null at a clean end of stream between frames.
     *
     * @throws ProtocolViolation for a length out of bounds or a stream that ends inside a frame
     */
    static Frame read(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int length;
        try {
            length = (b0 << 24) | (data.readUnsignedByte() << 16) | (data.readUnsignedByte() << 8) | data.readUnsignedByte();
        } catch (EOFException e) {
            throw new ProtocolViolation("the stream ended inside a frame's length");
        }
        if (length < 1 || length > MAX_FRAME) {
            throw new ProtocolViolation("a frame of " + length + " bytes (at most " + MAX_FRAME + ")");
        }
        byte[] body = new byte[length];
        try {
            data.readFully(body);
        } catch (EOFException e) {
            throw new ProtocolViolation("the stream ended inside a frame of " + length + " bytes");
        }
        byte[] payload = new byte[length - 1];
        System.arraycopy(body, 1, payload, 0, payload.length);
        return new Frame(body[0], payload);
    }

    /** Writes frames, one at a time. */
    static final class Writer {
        private final OutputStream out;

        Writer(OutputStream out) {
            this.out = out;
        }

        synchronized void send(byte type, Payload payload) throws IOException {
            byte[] p = payload == null ? new byte[0] : payload.bytes();
            if (p.length + 1 > MAX_FRAME) {
                throw new ProtocolViolation("a frame of " + (p.length + 1) + " bytes to send");
            }
            int length = p.length + 1;
            out.write(new byte[]{(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length, type});
            out.write(p);
            out.flush();
        }
    }

    /** Builds a payload. */
    static final class Payload {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Payload i32(int v) {
            out.write(v >>> 24);
            out.write(v >>> 16);
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Payload i64(long v) {
            return i32((int) (v >>> 32)).i32((int) v);
        }

        Payload bool(boolean v) {
            out.write(v ? 1 : 0);
            return this;
        }

        Payload u8(int v) {
            out.write(v);
            return this;
        }

        Payload bytes(byte[] b, int off, int len) {
            i32(len);
            out.write(b, off, len);
            return this;
        }

        Payload bytes(byte[] b) {
            return bytes(b, 0, b.length);
        }

        /** Another payload's bytes, as they are. */
        Payload raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        /** A string, or null. */
        Payload text(String s) {
            if (s == null) {
                return i32(-1);
            }
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        Payload texts(List<String> list) {
            i32(list.size());
            list.forEach(this::text);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** Decodes a payload, every field checked against what remains. */
    static final class Reader {
        private final ByteBuffer in;

        Reader(byte[] payload) {
            this.in = ByteBuffer.wrap(payload);
        }

        private void need(int n, String what) throws ProtocolViolation {
            if (n < 0 || in.remaining() < n) {
                throw new ProtocolViolation("a payload too short for " + what);
            }
        }

        int i32() throws ProtocolViolation {
            need(4, "an int");
            return in.getInt();
        }

        long i64() throws ProtocolViolation {
            need(8, "a long");
            return in.getLong();
        }

        int u8() throws ProtocolViolation {
            need(1, "a byte");
            return in.get() & 0xff;
        }

        boolean bool() throws ProtocolViolation {
            int b = u8();
            if (b > 1) {
                throw new ProtocolViolation("a boolean of " + b);
            }
            return b == 1;
        }

        byte[] bytes() throws ProtocolViolation {
            int n = i32();
            need(n, "bytes of length " + n);
            byte[] b = new byte[n];
            in.get(b);
            return b;
        }

        /** A string or null, strictly UTF-8. */
        String text() throws ProtocolViolation {
            int n = i32();
            if (n == -1) {
                return null;
            }
            need(n, "text of length " + n);
            ByteBuffer slice = in.slice(in.position(), n);
            in.position(in.position() + n);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolViolation("text that is not UTF-8");
            }
        }

        /** A string that must be there. */
        String string() throws ProtocolViolation {
            String s = text();
            if (s == null) {
                throw new ProtocolViolation("a missing string");
            }
            return s;
        }

        List<String> texts() throws ProtocolViolation {
            int n = i32();
            if (n < 0 || n > MAX_ITEMS) {
                throw new ProtocolViolation("a list of " + n + " items");
            }
            List<String> list = new ArrayList<>(Math.min(n, 1024));
            for (int i = 0; i < n; i++) {
                list.add(string());
            }
            return list;
        }

        /** Checks that nothing is left over. */
        void end() throws ProtocolViolation {
            if (in.hasRemaining()) {
                throw new ProtocolViolation(in.remaining() + " bytes left over in a payload");
            }
        }
    }
}
