package dev.cordon.engine.pypy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * What the sandboxed process writes, read with bounds: every length it announces is checked before a byte
 * is allocated, and an end of stream inside a message is a {@link ProtocolException}. Integers are
 * little-endian, as both protocols send them on x86-64.
 */
final class ChildStream {

    private final InputStream in;
    private long position;

    ChildStream(InputStream in) {
        this.in = in;
    }

    /** The next byte, or -1 at a clean end of stream (between messages). */
    int next() throws IOException {
        int b = in.read();
        if (b >= 0) {
            position++;
        }
        return b;
    }

    int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw truncated();
        }
        position++;
        return b;
    }

    byte[] readBytes(long n, long max, String what) throws IOException {
        if (n < 0 || n > max) {
            throw new ProtocolException(what + " of " + n + " bytes is out of bounds (at most " + max + ")");
        }
        byte[] b = in.readNBytes((int) n);
        position += b.length;
        if (b.length < n) {
            throw truncated();
        }
        return b;
    }

    int readInt32() throws IOException {
        byte[] b = readBytes(4, 4, "an int");
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    long readInt64() throws IOException {
        byte[] b = readBytes(8, 8, "a long");
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    /** How many bytes were read so far: where a fault was found, for its message. */
    long position() {
        return position;
    }

    private ProtocolException truncated() {
        return new ProtocolException("the sandboxed process's stream ended inside a message (byte " + position + ")",
                new EOFException());
    }
}
