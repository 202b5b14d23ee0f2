package dev.cordon.governor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures one of the guest's output streams up to a cap, optionally copying it live to a tee. Past the
 * cap the bytes are counted and dropped, and {@code onOverflow} runs once: the guest is cancelled rather
 * than handed an error it could swallow and loop on. Thread-safe.
 */
public final class CappedOutput extends OutputStream {

    private final long cap;
    private final OutputStream tee;
    private final Runnable onOverflow;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private long total;
    private boolean truncated;

    public CappedOutput(long cap, OutputStream tee, Runnable onOverflow) {
        this.cap = cap;
        this.tee = tee;
        this.onOverflow = onOverflow;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        boolean overflowed;
        synchronized (this) {
            total += len;
            long room = cap - captured.size();
            int keep = (int) Math.max(0, Math.min(room, len));
            if (keep > 0) {
                captured.write(b, off, keep);
                copyToTee(b, off, keep);
            }
            overflowed = keep < len && !truncated;
            if (keep < len) {
                truncated = true;
            }
        }
        if (overflowed) {
            onOverflow.run();
        }
    }

    private void copyToTee(byte[] b, int off, int len) {
        if (tee != null) {
            try {
                tee.write(b, off, len);
                tee.flush();
            } catch (IOException e) {
                // The tee belongs to the caller; its failure must not become the guest's.
            }
        }
    }

    @Override
    public void flush() {
        // Captured bytes need no flushing and the tee is flushed on every write.
    }

    /** The captured bytes decoded as UTF-8, malformed sequences replaced. */
    public synchronized String text() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    public synchronized boolean truncated() {
        return truncated;
    }

    /** Every byte the guest tried to write, kept or not. */
    public synchronized long total() {
        return total;
    }
}
