package dev.cordon.engine.graalpy;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * bzip2 for the guest's {@code _bz2} ({@code _cordon_graalpy/bz2.py}), on Apache Commons Compress: GraalPy's
 * is native code. Bytes cross as ISO-8859-1 strings, one character per byte.
 *
 * <p>A decompressor is given everything it has been fed so far; it answers only once the stream's end-of-stream
 * marker is there (before, {@code "t"}: more input needed), so one stream is decoded once, and never past
 * {@code maxBytes} of output. The answer is {@code "o<consumed>:<data>"} with the number of input bytes the
 * stream took (what follows is the caller's unused data), {@code "t"}, {@code "m"} (the output would pass
 * {@code maxBytes}) or {@code "e<message>"}.
 */
final class Bzip2 {

    /** The 48-bit end-of-stream marker, followed by the stream's 32-bit CRC and padding to a byte. */
    private static final long END_OF_STREAM = 0x177245385090L;

    private Bzip2() {
    }

    static String compress(String data, int level) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (BZip2CompressorOutputStream bz = new BZip2CompressorOutputStream(out, level)) {
            bz.write(data.getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** @param scanFrom where the search for the end-of-stream marker starts: what was fed before was searched */
    static String decompress(String data, long maxBytes, int scanFrom) {
        byte[] in = data.getBytes(StandardCharsets.ISO_8859_1);
        if (endOfStream(in, Math.max(0, Math.min(scanFrom, in.length) - 16), in.length) < 0) {
            return in.length >= 4 && !(in[0] == 'B' && in[1] == 'Z' && in[2] == 'h') ? "eInvalid data stream" : "t";
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (BZip2CompressorInputStream bz = new BZip2CompressorInputStream(new ByteArrayInputStream(in), false)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = bz.read(buffer)) > 0) {
                if (out.size() + (long) n > maxBytes) {
                    return "m";
                }
                out.write(buffer, 0, n);
            }
            long read = bz.getCompressedCount();
            // The bit reader reads ahead by up to 8 bytes: the stream ends after the last marker before that.
            int end = endOfStream(in, (int) Math.max(0, read - 24), (int) Math.min(in.length, read));
            return "o" + (end < 0 ? read : end) + ":" + out.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            return message.toLowerCase(java.util.Locale.ROOT).contains("unexpected end") ? "t" : "eInvalid data stream";
        }
    }

    /**
     * Where the last stream end found in {@code in[from, to)} ends: the byte after its marker, its CRC and its
     * padding; -1 if there is none.
     */
    static int endOfStream(byte[] in, int from, int to) {
        int found = -1;
        long window = 0;
        for (int i = from; i < to; i++) {
            window = (window << 8) | (in[i] & 0xFF);
            if (i - from < 6) {
                continue;
            }
            // The last 7 bytes read hold the marker at any of 8 bit offsets.
            for (int shift = 0; shift < 8; shift++) {
                if (((window >>> shift) & 0xFFFF_FFFF_FFFFL) == END_OF_STREAM) {
                    long markerEndBit = (long) (i + 1) * 8 - shift;
                    long streamEnd = (markerEndBit + 32 + 7) / 8;
                    if (streamEnd <= in.length) {
                        found = (int) streamEnd;
                    }
                }
            }
        }
        return found;
    }
}
