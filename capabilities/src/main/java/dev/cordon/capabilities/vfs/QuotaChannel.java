package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file of a writable tree, open for writing, that charges every byte it adds to the ledger. A write that
 * would go over the quota is refused whole with {@code EDQUOT}, and the file is rolled back: removed if
 * this open created it, emptied if this open truncated it, cut back to its length at open otherwise, so
 * that no half-written file is left behind. Later writes through the same descriptor fail the same way.
 * Like {@code write(2)}, these errors name no file.
 */
final class QuotaChannel implements SeekableByteChannel {

    private final FileChannel channel;
    private final QuotaLedger ledger;
    private final Path host;
    private final boolean append;
    private final boolean created;
    private final long lengthAtOpen;
    private boolean exceeded;

    QuotaChannel(FileChannel channel, QuotaLedger ledger, Path host, boolean append,
                 boolean created) throws IOException {
        this.channel = channel;
        this.ledger = ledger;
        this.host = host;
        this.append = append;
        this.created = created;
        this.lengthAtOpen = channel.size();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        synchronized (ledger) {
            if (exceeded) {
                throw QuotaLedger.exceeded(null);
            }
            long size = channel.size();
            long end = (append ? size : channel.position()) + src.remaining();
            long growth = Math.max(0, end - size);
            try {
                ledger.reserveBytes(null, growth);
            } catch (IOException e) {
                exceeded = true;
                rollBack(size);
                throw e;
            }
            int written = channel.write(src);
            long unused = growth - Math.max(0, channel.size() - size);
            if (unused > 0) {
                ledger.releaseBytes(unused);
            }
            return written;
        }
    }

    private void rollBack(long size) throws IOException {
        if (created) {
            channel.close();
            if (Files.deleteIfExists(host)) {
                ledger.releaseEntry(size);
            }
        } else if (size > lengthAtOpen) {
            channel.truncate(lengthAtOpen);
            ledger.releaseBytes(size - lengthAtOpen);
        }
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        synchronized (ledger) {
            long before = channel.size();
            channel.truncate(size);
            ledger.releaseBytes(before - channel.size());
        }
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        return channel.read(dst);
    }

    @Override
    public long position() throws IOException {
        ensureOpen();
        return channel.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        ensureOpen();
        channel.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return channel.size();
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen() || exceeded;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void ensureOpen() throws IOException {
        if (!channel.isOpen()) {
            if (exceeded) {
                throw QuotaLedger.exceeded(null);
            }
            throw new ClosedChannelException();
        }
    }
}
