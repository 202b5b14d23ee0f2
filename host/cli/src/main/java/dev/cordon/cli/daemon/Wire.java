package dev.cordon.cli.daemon;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames between the client and the background process: a type byte, a 4-byte length, then that many bytes.
 * Every frame is checked before it is held: an unknown type, a negative length or one past {@link #MAX_FRAME}
 * ends the connection with a {@link WireException}.
 */
final class Wire {

    /** The most any frame may carry: a command line, or a chunk of a stream. */
    static final int MAX_FRAME = 1 << 20;
    /** The most bytes one stream frame carries. */
    static final int CHUNK = 64 << 10;

    // Client to process.
    /** A command: the working directory, then the arguments, each ended by a NUL. */
    static final byte REQUEST = 'Q';
    /** Standard input the process asked for; empty means end of input. */
    static final byte STDIN = 'I';
    /** What the process is, as text. */
    static final byte STATUS = 'S';
    /** End the process once its commands in flight have ended. */
    static final byte STOP = 'X';

    // Process to client.
    static final byte STDOUT = 'O';
    static final byte STDERR = 'E';
    /** The command reads standard input: at most this many bytes (4 bytes). */
    static final byte READ = 'R';
    /** The command ended with this exit code (4 bytes). */
    static final byte EXIT = 'C';
    /** An answer to STATUS or STOP, as text. */
    static final byte TEXT = 'T';

    private static final String TYPES = "QISXOERCT";

    private Wire() {
    }

    /** A frame received. */
    record Frame(byte type, byte[] payload) {
        int number() throws WireException {
            if (payload.length != 4) {
                throw new WireException("a '" + (char) type + "' frame carries 4 bytes, not " + payload.length);
            }
            return ByteBuffer.wrap(payload).getInt();
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** A frame that breaks the protocol. */
    static final class WireException extends IOException {
        WireException(String message) {
            super(message);
        }
    }

    /** The next frame, or null at a clean end of the stream (between frames). */
    static Frame read(DataInputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return null;
        }
        if (TYPES.indexOf(type) < 0) {
            throw new WireException("unknown frame type " + type);
        }
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            throw new WireException("a frame ended inside its length");
        }
        if (length < 0 || length > MAX_FRAME) {
            throw new WireException("a frame of " + length + " bytes (at most " + MAX_FRAME + ")");
        }
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new WireException("a frame of " + length + " bytes ended early");
        }
        return new Frame((byte) type, payload);
    }

    static void write(DataOutputStream out, byte type, byte[] payload, int offset, int length) throws IOException {
        synchronized (out) {
            out.writeByte(type);
            out.writeInt(length);
            out.write(payload, offset, length);
            out.flush();
        }
    }

    static void write(DataOutputStream out, byte type, byte[] payload) throws IOException {
        write(out, type, payload, 0, payload.length);
    }

    static void writeNumber(DataOutputStream out, byte type, int n) throws IOException {
        write(out, type, ByteBuffer.allocate(4).putInt(n).array());
    }

    static void writeText(DataOutputStream out, byte type, String text) throws IOException {
        write(out, type, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A command as its REQUEST frame carries it. */
    static byte[] request(String workingDirectory, List<String> args) throws WireException {
        StringBuilder b = new StringBuilder();
        for (String s : concat(workingDirectory, args)) {
            if (s.indexOf('\0') >= 0) {
                throw new WireException("an argument holds a NUL character");
            }
            b.append(s).append('\0');
        }
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_FRAME) {
            throw new WireException("the command line is longer than " + MAX_FRAME + " bytes");
        }
        return bytes;
    }

    /** The working directory and then the arguments of a REQUEST frame. */
    static List<String> command(Frame frame) throws WireException {
        String text = frame.text();
        if (!text.endsWith("\0")) {
            throw new WireException("a command does not end with a NUL");
        }
        List<String> parts = List.of(text.substring(0, text.length() - 1).split("\0", -1));
        if (parts.get(0).isEmpty()) {
            throw new WireException("a command without a working directory");
        }
        return parts;
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
