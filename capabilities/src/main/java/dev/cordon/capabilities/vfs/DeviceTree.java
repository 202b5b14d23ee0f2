package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The character devices ordinary programs expect in {@code /dev}: {@code null} (reads end at once, writes
 * vanish), {@code zero} (reads give zeros) and {@code urandom} (reads give random bytes). Nothing else of
 * the host's {@code /dev} exists in the sandbox.
 */
public final class DeviceTree implements FileTree {

    private static final List<String> NAMES = List.of("null", "urandom", "zero");
    private static final int CHARACTER_DEVICE = 0020000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final FileTime time = FileTime.from(Instant.EPOCH);
    private final long device = Devices.next();

    /** Writes to a device are allowed; nothing can be created or removed here (the defaults refuse). */
    @Override
    public boolean writable() {
        return true;
    }

    /** Devices are root's, as on Linux, though the guest may write to them. */
    @Override
    public boolean guestOwned() {
        return false;
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        if (path.isRoot()) {
            return new FileAttributes(FileAttributes.Type.DIRECTORY, 4096, 0555, time, time, time,
                    Devices.inode(path), device, 2, 0, 0);
        }
        name(path);
        return new FileAttributes(FileAttributes.Type.FILE, 0, 0666, time, time, time, Devices.inode(path),
                device, 1, 0, 0);
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        if (path.isRoot()) {
            throw FileTree.readOnly(path);
        }
        return new Device(name(path));
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        if (!directory.isRoot()) {
            name(directory);
            throw new java.nio.file.NotDirectoryException(directory.toString());
        }
        return NAMES;
    }

    private static String name(VirtualPath path) throws NoSuchFileException {
        if (path.depth() != 1 || !NAMES.contains(path.fileName())) {
            throw new NoSuchFileException(path.toString());
        }
        return path.fileName();
    }

    /** Reads and writes of one device; there is no position to speak of. */
    private static final class Device implements SeekableByteChannel {
        private final String name;
        private boolean open = true;

        Device(String name) {
            this.name = name;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            ensureOpen();
            if (name.equals("null")) {
                return -1;
            }
            // Fills what the caller allocated (on the guest's thread, so its memory limit counts it).
            int n = dst.remaining();
            if (name.equals("urandom")) {
                byte[] bytes = new byte[Math.min(n, 1 << 16)];
                while (dst.hasRemaining()) {
                    RANDOM.nextBytes(bytes);
                    dst.put(bytes, 0, Math.min(bytes.length, dst.remaining()));
                }
            } else {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            ensureOpen();
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public long position() {
            return 0;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            return this;
        }

        /** Endless for the sources: GraalPy reads no more than size minus position. */
        @Override
        public long size() {
            return name.equals("null") ? 0 : Long.MAX_VALUE;
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            return this;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }

        private void ensureOpen() throws ClosedChannelException {
            if (!open) {
                throw new ClosedChannelException();
            }
        }
    }
}
