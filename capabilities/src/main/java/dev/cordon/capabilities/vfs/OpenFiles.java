package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The files one call's filesystem opened and the guest has not closed, so that the call's end closes them
 * before its caller has the answer: a file is then saved as when a process exits, on every store, and what
 * the call wrote is there for the caller's next call, whichever node runs it.
 */
final class OpenFiles {

    private final Set<Tracked> open = ConcurrentHashMap.newKeySet();

    SeekableByteChannel track(SeekableByteChannel channel) {
        Tracked t = new Tracked(channel);
        open.add(t);
        return t;
    }

    /** Closes every file still open; the first failure is thrown once all are closed. */
    void closeAll() throws IOException {
        IOException first = null;
        for (Tracked t : open) {
            try {
                t.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private final class Tracked implements SeekableByteChannel {
        private final SeekableByteChannel channel;

        Tracked(SeekableByteChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return channel.write(src);
        }

        @Override
        public long position() throws IOException {
            return channel.position();
        }

        @Override
        public SeekableByteChannel position(long newPosition) throws IOException {
            // The channel contract, kept here for every store (GraalPy answers EINVAL): a store's channel never
            // sees a negative position, which a PostgreSQL-backed file kept and a worker's remote file sent to
            // its parent, who took it for a broken worker.
            if (newPosition < 0) {
                throw new IllegalArgumentException("negative position");
            }
            channel.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public SeekableByteChannel truncate(long size) throws IOException {
            if (size < 0) {
                throw new IllegalArgumentException("negative size");
            }
            channel.truncate(size);
            return this;
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            if (open.remove(this)) {
                channel.close();
            }
        }
    }
}
