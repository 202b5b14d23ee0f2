package dev.cordon.capabilities.posix;

import dev.cordon.capabilities.vfs.FileAttributes;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The operating system as an external sandboxed interpreter sees it: a table of file descriptors over one
 * call's {@link VirtualFileSystem}, the three standard streams, a working directory, and a virtual identity.
 * Every method is one system call; a refusal is a {@link PosixException} carrying the errno a Linux kernel
 * would give, so that the interpreter raises the same {@code OSError} a program would see outside.
 *
 * <p>Paths arrive as the bytes the interpreter passed to libc; they are read as UTF-8 and resolved lexically
 * against the working directory, so nothing the guest writes reaches past the mount table. Nothing here
 * touches the host except through the virtual filesystem's trees.
 *
 * <p>An instance belongs to one run and is used by one controller thread.
 */
public final class VirtualProcess implements AutoCloseable {

    public static final int O_ACCMODE = 03;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_DIRECTORY = 0200000;

    /**
     * The most one {@code read(2)} returns. The count comes from the interpreter, and a buffer of its size would be
     * allocated before anything is read: a request for 2 GiB must not take the host's heap. A shorter read than
     * asked is what POSIX allows, and every reader loops until it has what it wants.
     */
    public static final int MAX_READ = 1 << 20;

    /** The longest path the interpreter may pass, as Linux's {@code PATH_MAX}. */
    public static final int PATH_MAX = 4096;

    private final VirtualFileSystem fs;
    private final InputStream stdin;
    private final OutputStream stdout;
    private final OutputStream stderr;
    private final int uid;
    private final int gid;
    private final int maxOpenFiles;
    private final Map<Integer, OpenFile> files = new HashMap<>();
    private VirtualPath cwd;
    private int umask = 022;
    private boolean stdinEnded;

    private VirtualProcess(Builder b) {
        this.fs = b.fs;
        this.stdin = b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr;
        this.uid = b.uid;
        this.gid = b.gid;
        this.maxOpenFiles = b.maxOpenFiles;
        this.cwd = b.cwd;
    }

    public static Builder builder(VirtualFileSystem fs) {
        return new Builder(fs);
    }

    /** An open file: a channel, or none for a directory opened for reading. */
    private record OpenFile(VirtualPath path, SeekableByteChannel channel, boolean readable, boolean writable,
                            boolean append) {
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    /** {@code open(2)}. */
    public int open(byte[] rawPath, int flags, int mode) throws PosixException {
        VirtualPath path = resolve(rawPath);
        int access = flags & O_ACCMODE;
        if (access == O_ACCMODE) {
            throw new PosixException(Errno.EINVAL);
        }
        boolean write = access != 0;
        FileAttributes existing = attributesOrNull(path);
        if (existing != null && existing.isDirectory()) {
            if (write || (flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) {
                throw new PosixException(write ? Errno.EISDIR : Errno.EEXIST);
            }
            return allocate(new OpenFile(path, null, false, false, false));
        }
        if ((flags & O_DIRECTORY) != 0) {
            throw new PosixException(existing == null ? Errno.ENOENT : Errno.ENOTDIR);
        }
        if (existing != null && (flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) {
            throw new PosixException(Errno.EEXIST);
        }
        Set<StandardOpenOption> options = EnumSet.noneOf(StandardOpenOption.class);
        if (access != O_WRONLY) {
            options.add(StandardOpenOption.READ);
        }
        if (write) {
            options.add(StandardOpenOption.WRITE);
            if ((flags & O_TRUNC) != 0) {
                options.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
        }
        if ((flags & O_CREAT) != 0 && existing == null) {
            options.add(StandardOpenOption.WRITE);
            options.add(StandardOpenOption.CREATE_NEW);
        }
        checkSlot();
        SeekableByteChannel channel;
        try {
            channel = fs.open(path, options);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new PosixException(Errno.EINVAL);
        }
        if (existing == null) {
            try {
                fs.setMode(path, mode & ~umask & 07777);
            } catch (IOException e) {
                // The file exists now; a tree that keeps no modes leaves its default.
            }
        }
        return allocate(new OpenFile(path, channel, access != O_WRONLY, write, (flags & O_APPEND) != 0));
    }

    /** {@code read(2)} of at most {@code count} bytes; an empty array at the end of the file. */
    public byte[] read(int fd, int count) throws PosixException {
        if (count < 0) {
            throw new PosixException(Errno.EINVAL);
        }
        count = Math.min(count, MAX_READ);
        if (fd == 0) {
            return readStdin(count);
        }
        if (fd == 1 || fd == 2) {
            throw new PosixException(Errno.EBADF);
        }
        OpenFile f = file(fd);
        if (f.channel == null) {
            throw new PosixException(Errno.EISDIR);
        }
        if (!f.readable) {
            throw new PosixException(Errno.EBADF);
        }
        ByteBuffer buffer = ByteBuffer.allocate(count);
        try {
            while (buffer.hasRemaining()) {
                int n = f.channel.read(buffer);
                if (n <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
        byte[] out = new byte[buffer.position()];
        buffer.flip().get(out);
        return out;
    }

    private byte[] readStdin(int count) throws PosixException {
        if (stdinEnded || count == 0) {
            return new byte[0];
        }
        try {
            byte[] data = stdin.readNBytes(count);
            if (data.length < count) {
                stdinEnded = true;
            }
            return data;
        } catch (IOException e) {
            throw new PosixException(Errno.EIO);
        }
    }

    /** {@code write(2)}: returns how many bytes were written. */
    public int write(int fd, byte[] data) throws PosixException {
        if (fd == 1 || fd == 2) {
            try {
                (fd == 1 ? stdout : stderr).write(data);
                return data.length;
            } catch (IOException e) {
                throw new PosixException(Errno.EIO);
            }
        }
        if (fd == 0) {
            throw new PosixException(Errno.EBADF);
        }
        OpenFile f = file(fd);
        if (f.channel == null) {
            throw new PosixException(Errno.EISDIR);
        }
        if (!f.writable) {
            throw new PosixException(Errno.EBADF);
        }
        try {
            if (f.append) {
                f.channel.position(f.channel.size());
            }
            ByteBuffer buffer = ByteBuffer.wrap(data);
            while (buffer.hasRemaining()) {
                f.channel.write(buffer);
            }
            return data.length;
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    /** {@code close(2)}. Closing a standard stream is allowed and changes nothing. */
    public void close(int fd) throws PosixException {
        if (fd >= 0 && fd <= 2) {
            return;
        }
        OpenFile f = files.remove(fd);
        if (f == null) {
            throw new PosixException(Errno.EBADF);
        }
        if (f.channel != null) {
            try {
                f.channel.close();
            } catch (IOException e) {
                throw new PosixException(Errno.of(e));
            }
        }
    }

    /** {@code lseek(2)}; the standard streams are pipes. */
    public long lseek(int fd, long offset, int whence) throws PosixException {
        if (fd >= 0 && fd <= 2) {
            throw new PosixException(Errno.ESPIPE);
        }
        OpenFile f = file(fd);
        if (f.channel == null) {
            return 0;
        }
        try {
            long base = switch (whence) {
                case 0 -> 0;
                case 1 -> f.channel.position();
                case 2 -> f.channel.size();
                default -> throw new PosixException(Errno.EINVAL);
            };
            long target = base + offset;
            if (target < 0) {
                throw new PosixException(Errno.EINVAL);
            }
            f.channel.position(target);
            return target;
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    /** {@code ftruncate(2)}. */
    public void ftruncate(int fd, long length) throws PosixException {
        OpenFile f = file(fd);
        if (f.channel == null || !f.writable) {
            throw new PosixException(f.channel == null ? Errno.EISDIR : Errno.EINVAL);
        }
        if (length < 0) {
            throw new PosixException(Errno.EINVAL);
        }
        try {
            long size = f.channel.size();
            if (length < size) {
                f.channel.truncate(length);
            } else if (length > size) {
                long position = f.channel.position();
                f.channel.position(length - 1).write(ByteBuffer.wrap(new byte[1]));
                f.channel.position(position);
            }
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    /** {@code fsync(2)}: files are handed to the tree at close, so there is nothing to do. */
    public void fsync(int fd) throws PosixException {
        if (fd > 2) {
            file(fd);
        }
    }

    public Stat stat(byte[] rawPath) throws PosixException {
        return Stat.of(attributes(resolve(rawPath), true));
    }

    public Stat lstat(byte[] rawPath) throws PosixException {
        return Stat.of(attributes(resolve(rawPath), false));
    }

    public Stat fstat(int fd) throws PosixException {
        if (fd >= 0 && fd <= 2) {
            return Stat.pipe(fd, uid, gid);
        }
        return Stat.of(attributes(file(fd).path, true));
    }

    /**
     * {@code access(2)}: whether the virtual user may read, write or execute (mode 0 asks for existence).
     * The user is the one the whole virtual tree is for, so the owner's bits answer (trees report owner 0,
     * their files are still the guest's); writing needs a writable tree as well.
     */
    public void access(byte[] rawPath, int mode) throws PosixException {
        VirtualPath path = resolve(rawPath);
        FileAttributes a = attributes(path, true);
        if ((mode & 07) == 0) {
            return;
        }
        int bits = (a.mode() >> 6) & 07;
        if ((mode & 07 & ~bits) != 0) {
            throw new PosixException(Errno.EACCES);
        }
        if ((mode & 02) != 0 && !fs.isWritable(path)) {
            throw new PosixException(Errno.EACCES);
        }
    }

    /** The names in a directory, sorted, without {@code .} and {@code ..}. */
    public List<String> listdir(byte[] rawPath) throws PosixException {
        try {
            List<String> names = new ArrayList<>(fs.list(resolve(rawPath)));
            names.sort(null);
            return names;
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    public String getcwd() {
        return cwd.toString();
    }

    public void chdir(byte[] rawPath) throws PosixException {
        VirtualPath path = resolve(rawPath);
        if (!attributes(path, true).isDirectory()) {
            throw new PosixException(Errno.ENOTDIR);
        }
        cwd = path;
    }

    public void mkdir(byte[] rawPath, int mode) throws PosixException {
        VirtualPath path = resolve(rawPath);
        if (attributesOrNull(path) != null) {
            throw new PosixException(Errno.EEXIST);
        }
        try {
            fs.createDirectory(path);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
        try {
            fs.setMode(path, mode & ~umask & 07777);
        } catch (IOException e) {
            // The directory exists; a tree that keeps no modes leaves its default.
        }
    }

    public void rmdir(byte[] rawPath) throws PosixException {
        VirtualPath path = resolve(rawPath);
        if (!attributes(path, false).isDirectory()) {
            throw new PosixException(Errno.ENOTDIR);
        }
        delete(path);
    }

    public void unlink(byte[] rawPath) throws PosixException {
        VirtualPath path = resolve(rawPath);
        if (attributes(path, false).isDirectory()) {
            throw new PosixException(Errno.EISDIR);
        }
        delete(path);
    }

    private void delete(VirtualPath path) throws PosixException {
        try {
            fs.delete(path);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    public void rename(byte[] from, byte[] to) throws PosixException {
        try {
            fs.move(resolve(from), resolve(to), true);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    public void chmod(byte[] rawPath, int mode) throws PosixException {
        try {
            fs.setMode(resolve(rawPath), mode & 07777);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    /** {@code utime(2)} with times in seconds since the epoch. */
    public void utime(byte[] rawPath, double accessSeconds, double modifiedSeconds) throws PosixException {
        try {
            fs.setTimes(resolve(rawPath), FileTime.fromMillis((long) (modifiedSeconds * 1000)),
                    FileTime.fromMillis((long) (accessSeconds * 1000)));
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    public byte[] readlink(byte[] rawPath) throws PosixException {
        try {
            return fs.readSymbolicLink(resolve(rawPath)).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    public void symlink(byte[] target, byte[] rawLink) throws PosixException {
        try {
            fs.createSymbolicLink(resolve(rawLink), path(target));
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    /** {@code umask(2)}: sets the mask and returns the previous one. */
    public int umask(int mask) {
        int previous = umask;
        umask = mask & 0777;
        return previous;
    }

    /** The standard streams are pipes, never terminals; other open files are not terminals either. */
    public void isatty(int fd) throws PosixException {
        if (fd > 2) {
            file(fd);
        } else if (fd < 0) {
            throw new PosixException(Errno.EBADF);
        }
        throw new PosixException(Errno.ENOTTY);
    }

    /** How many descriptors beyond the standard streams are open. */
    public int openFiles() {
        return files.size();
    }

    /** Closes every file the interpreter left open, so that what it wrote reaches the trees. */
    @Override
    public void close() {
        for (OpenFile f : files.values()) {
            if (f.channel != null) {
                try {
                    f.channel.close();
                } catch (IOException e) {
                    // Kept what could be kept; the run is over.
                }
            }
        }
        files.clear();
    }

    private OpenFile file(int fd) throws PosixException {
        OpenFile f = files.get(fd);
        if (f == null) {
            throw new PosixException(Errno.EBADF);
        }
        return f;
    }

    private void checkSlot() throws PosixException {
        if (files.size() >= maxOpenFiles) {
            throw new PosixException(Errno.EMFILE);
        }
    }

    private int allocate(OpenFile f) throws PosixException {
        checkSlot();
        for (int fd = 3; ; fd++) {
            if (!files.containsKey(fd)) {
                files.put(fd, f);
                return fd;
            }
        }
    }

    private FileAttributes attributes(VirtualPath path, boolean follow) throws PosixException {
        try {
            return fs.attributes(path, follow);
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    private FileAttributes attributesOrNull(VirtualPath path) throws PosixException {
        try {
            return fs.attributes(path, true);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new PosixException(Errno.of(e));
        }
    }

    private VirtualPath resolve(byte[] rawPath) throws PosixException {
        String path = path(rawPath);
        try {
            return cwd.resolve(path);
        } catch (InvalidPathException e) {
            throw new PosixException(Errno.EINVAL);
        }
    }

    private static String path(byte[] raw) throws PosixException {
        if (raw.length == 0) {
            throw new PosixException(Errno.ENOENT);
        }
        if (raw.length >= PATH_MAX) {
            throw new PosixException(Errno.ENAMETOOLONG);
        }
        return new String(raw, StandardCharsets.UTF_8);
    }

    /** Configures a {@link VirtualProcess}. */
    public static final class Builder {
        private final VirtualFileSystem fs;
        private InputStream stdin = InputStream.nullInputStream();
        private OutputStream stdout = OutputStream.nullOutputStream();
        private OutputStream stderr = OutputStream.nullOutputStream();
        private int uid = 1000;
        private int gid = 1000;
        private int maxOpenFiles = 64;
        private VirtualPath cwd = VirtualPath.ROOT;

        private Builder(VirtualFileSystem fs) {
            this.fs = Objects.requireNonNull(fs, "fs");
        }

        public Builder stdio(InputStream in, OutputStream out, OutputStream err) {
            this.stdin = Objects.requireNonNull(in, "stdin");
            this.stdout = Objects.requireNonNull(out, "stdout");
            this.stderr = Objects.requireNonNull(err, "stderr");
            return this;
        }

        /** The virtual user and group the interpreter runs as (default 1000). */
        public Builder identity(int uid, int gid) {
            this.uid = uid;
            this.gid = gid;
            return this;
        }

        /** How many files may be open at once beyond the standard streams (default 64); past it EMFILE. */
        public Builder maxOpenFiles(int n) {
            this.maxOpenFiles = n;
            return this;
        }

        public Builder cwd(String path) {
            this.cwd = VirtualPath.of(path);
            return this;
        }

        public VirtualProcess build() {
            return new VirtualProcess(this);
        }
    }
}
