package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.attribute.FileTime;

/**
 * A file of a {@link PostgresTree} open on this node, in a copy on local disk that every descriptor of the file
 * here shares: what one writes, the others read at once. It remembers the length it had when made and whether
 * every write since was past that length, so that its commit can append rather than replace: two nodes
 * appending to one file both keep their records. Each descriptor has its own position.
 */
final class WorkingCopy {

    private final PostgresTree tree;
    private final long inode;
    private final FileChannel file;
    private long baseSize;
    private boolean appendOnly = true;
    private boolean dirty;
    /** Descriptors open on it; guarded by the tree. */
    int descriptors;
    private FileTime modified = FileTime.fromMillis(System.currentTimeMillis());

    WorkingCopy(PostgresTree tree, long inode, FileChannel file) throws IOException {
        this.tree = tree;
        this.inode = inode;
        this.file = file;
        this.baseSize = file.size();
    }

    long inode() {
        return inode;
    }

    synchronized long baseSize() {
        return baseSize;
    }

    /** Its bytes are what the database holds now: later commits count from here. */
    synchronized void committed() throws IOException {
        baseSize = file.size();
        appendOnly = true;
        dirty = false;
    }

    /**
     * Made empty by the open that made it, without reading the {@code length} bytes the database holds: a change
     * that replaces them, counted from that length.
     */
    synchronized void emptiedFrom(long length) {
        baseSize = length;
        changed(0);
    }

    /** Its changes are given up (a file created over the quota): nothing to commit. */
    synchronized void forget() {
        dirty = false;
    }

    synchronized boolean appendOnly() {
        return appendOnly;
    }

    synchronized boolean dirty() {
        return dirty;
    }

    synchronized FileTime modified() {
        return modified;
    }

    synchronized long size() throws IOException {
        return file.size();
    }

    /** Bytes past the length it had when made: what its commit may add to the ledger. */
    synchronized long growth() throws IOException {
        return Math.max(0, file.size() - baseSize);
    }

    /**
     * Its bytes from {@code start}, for the commit, which holds the copy's lock meanwhile; closing the stream
     * leaves the copy open.
     */
    InputStream stream(long start) {
        return new InputStream() {
            private long at = start;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = file.read(ByteBuffer.wrap(b, off, len), at);
                if (n > 0) {
                    at += n;
                }
                return n;
            }
        };
    }

    /**
     * A new descriptor, counted in {@link #descriptors} already by the tree; {@code truncate} empties the file
     * (O_TRUNC).
     */
    SeekableByteChannel open(boolean writable, boolean append, boolean truncate, boolean created)
            throws IOException {
        synchronized (this) {
            if (truncate && file.size() > 0) {
                changed(0);
                file.truncate(0);
            }
        }
        return new Descriptor(writable, append, created);
    }

    /** Closes the copy on disk, once committed or given up. */
    void release() throws IOException {
        file.close();
    }

    private void changed(long position) {
        dirty = true;
        if (position < baseSize) {
            appendOnly = false;
        }
        modified = FileTime.fromMillis(System.currentTimeMillis());
    }

    /** One open file description: its own position, the copy shared. */
    private final class Descriptor implements SeekableByteChannel {
        private final boolean writable;
        private final boolean append;
        private final boolean created;
        private final long lengthAtOpen;
        private long position;
        private boolean open = true;
        private boolean exceeded;

        Descriptor(boolean writable, boolean append, boolean created) throws IOException {
            this.writable = writable;
            this.append = append;
            this.created = created;
            this.lengthAtOpen = size();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            ensureOpen();
            int n = file.read(dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            ensureOpen();
            if (!writable) {
                throw new NonWritableChannelException();
            }
            synchronized (tree) {
                synchronized (WorkingCopy.this) {
                    long size = file.size();
                    long at = append ? size : position;
                    // What the ledger will count past the length the copy had when made: a file emptied and
                    // written again grows only past that length.
                    long end = Math.max(size, at + src.remaining());
                    long growth = Math.max(0, end - baseSize) - Math.max(0, size - baseSize);
                    if (!tree.mayGrow(growth)) {
                        exceeded = true;
                        if (!created && size > lengthAtOpen) {
                            file.truncate(lengthAtOpen);
                        }
                        throw QuotaLedger.exceeded(null);
                    }
                    changed(at);
                    int n = file.write(src, at);
                    position = at + n;
                    return n;
                }
            }
        }

        @Override
        public long position() throws IOException {
            ensureOpen();
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) throws IOException {
            ensureOpen();
            position = newPosition;
            return this;
        }

        @Override
        public long size() throws IOException {
            ensureOpen();
            return WorkingCopy.this.size();
        }

        @Override
        public SeekableByteChannel truncate(long size) throws IOException {
            ensureOpen();
            if (!writable) {
                throw new NonWritableChannelException();
            }
            synchronized (WorkingCopy.this) {
                if (size < file.size()) {
                    changed(size);
                    file.truncate(size);
                }
            }
            return this;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() throws IOException {
            if (!open) {
                return;
            }
            open = false;
            tree.closed(WorkingCopy.this, exceeded && created);
        }

        private void ensureOpen() throws IOException {
            if (exceeded) {
                throw QuotaLedger.exceeded(null);
            }
            if (!open) {
                throw new ClosedChannelException();
            }
        }
    }
}
