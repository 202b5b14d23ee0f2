package dev.cordon.engine.worker;

import dev.cordon.capabilities.vfs.FileAttributes;
import dev.cordon.capabilities.vfs.FileTree;
import dev.cordon.capabilities.vfs.StoreSpace;
import dev.cordon.capabilities.vfs.VirtualPath;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The file operations a worker asks of its parent, one small handler per operation: on the worker's side each
 * {@link FileTree} call of a mount the call was granted becomes an {@code FS} frame; on the parent's side
 * {@link Server} answers it from the parent's own tree for that mount, and its exceptions travel back as what
 * they were (the class, the file, the other file, the reason), so the guest sees the errno it would in process.
 */
final class TreeCalls {

    static final int ATTRIBUTES = 1;
    static final int OPEN = 2;
    static final int LIST = 3;
    static final int REAL_PATH = 4;
    static final int CREATE_DIRECTORY = 5;
    static final int DELETE = 6;
    static final int MOVE = 7;
    static final int SYMLINK = 8;
    static final int READ_LINK = 9;
    static final int SET_TIMES = 10;
    static final int SET_MODE = 11;
    static final int SPACE = 12;
    static final int READ = 20;
    static final int WRITE = 21;
    static final int POSITION = 22;
    static final int SEEK = 23;
    static final int SIZE = 24;
    static final int TRUNCATE = 25;
    static final int CLOSE = 26;

    /** The most bytes one READ or WRITE carries. */
    static final int CHUNK = 1 << 20;
    /** The most files a call may hold open through its worker at once. */
    static final int MAX_HANDLES = 256;

    private TreeCalls() {
    }

    // ---- How values travel.

    static void attributes(Wire.Payload p, FileAttributes a) {
        p.u8(a.type().ordinal()).i64(a.size()).i32(a.mode()).i64(a.lastModified().toMillis())
                .i64(a.lastAccess().toMillis()).i64(a.created().toMillis()).i64(a.inode()).i64(a.device())
                .i32(a.links()).i32(a.uid()).i32(a.gid());
    }

    static FileAttributes attributes(Wire.Reader r) throws Wire.ProtocolViolation {
        int type = r.u8();
        if (type >= FileAttributes.Type.values().length) {
            throw new Wire.ProtocolViolation("a file type of " + type);
        }
        return new FileAttributes(FileAttributes.Type.values()[type], r.i64(), r.i32(), FileTime.fromMillis(r.i64()),
                FileTime.fromMillis(r.i64()), FileTime.fromMillis(r.i64()), r.i64(), r.i64(), r.i32(), r.i32(), r.i32());
    }

    private static final List<OpenOption> OPTIONS = List.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.CREATE,
            StandardOpenOption.CREATE_NEW, StandardOpenOption.DELETE_ON_CLOSE, StandardOpenOption.SPARSE,
            StandardOpenOption.SYNC, StandardOpenOption.DSYNC, LinkOption.NOFOLLOW_LINKS);

    static int options(Set<? extends OpenOption> options) {
        int mask = 0;
        for (OpenOption o : options) {
            int i = OPTIONS.indexOf(o);
            if (i >= 0) {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    static Set<OpenOption> options(int mask) throws Wire.ProtocolViolation {
        if (mask >>> OPTIONS.size() != 0) {
            throw new Wire.ProtocolViolation("open options " + Integer.toBinaryString(mask));
        }
        Set<OpenOption> options = new HashSet<>();
        for (int i = 0; i < OPTIONS.size(); i++) {
            if ((mask & (1 << i)) != 0) {
                options.add(OPTIONS.get(i));
            }
        }
        return options;
    }

    /** The exceptions a tree throws, by the code they travel as. */
    private enum Failure {
        OTHER, NO_SUCH_FILE, ACCESS_DENIED, ALREADY_EXISTS, NOT_EMPTY, NOT_DIRECTORY, NOT_LINK, LOOP, IO;

        static Failure of(IOException e) {
            if (e instanceof NoSuchFileException) {
                return NO_SUCH_FILE;
            } else if (e instanceof AccessDeniedException) {
                return ACCESS_DENIED;
            } else if (e instanceof FileAlreadyExistsException) {
                return ALREADY_EXISTS;
            } else if (e instanceof DirectoryNotEmptyException) {
                return NOT_EMPTY;
            } else if (e instanceof NotDirectoryException) {
                return NOT_DIRECTORY;
            } else if (e instanceof NotLinkException) {
                return NOT_LINK;
            } else if (e instanceof FileSystemLoopException) {
                return LOOP;
            }
            return e instanceof FileSystemException ? OTHER : IO;
        }
    }

    static void failure(Wire.Payload p, IOException e) {
        p.u8(Failure.of(e).ordinal());
        if (e instanceof FileSystemException f) {
            p.text(f.getFile()).text(f.getOtherFile()).text(f.getReason());
        } else {
            p.text(null).text(null).text(e.getMessage());
        }
    }

    static IOException failure(Wire.Reader r) throws Wire.ProtocolViolation {
        int code = r.u8();
        if (code >= Failure.values().length) {
            throw new Wire.ProtocolViolation("a failure of " + code);
        }
        String file = r.text();
        String other = r.text();
        String reason = r.text();
        return switch (Failure.values()[code]) {
            case NO_SUCH_FILE -> new NoSuchFileException(file, other, reason);
            case ACCESS_DENIED -> new AccessDeniedException(file, other, reason);
            case ALREADY_EXISTS -> new FileAlreadyExistsException(file, other, reason);
            case NOT_EMPTY -> new DirectoryNotEmptyException(file);
            case NOT_DIRECTORY -> new NotDirectoryException(file);
            case NOT_LINK -> new NotLinkException(file, other, reason);
            case LOOP -> new FileSystemLoopException(file);
            case IO -> new IOException(reason);
            case OTHER -> new FileSystemException(file, other, reason);
        };
    }

    /** What a worker's side of a call does: send a request and wait for its reply. */
    interface Asker {
        /** Sends {@code FS} with this payload and returns the reply's reader, positioned after the status. */
        Wire.Reader ask(Wire.Payload request) throws IOException;
    }

    /** A mount of the call, as the worker sees it: every operation goes to the parent. */
    static final class Remote implements FileTree {
        private final Asker parent;
        private final int mount;
        private final boolean writable;

        Remote(Asker parent, int mount, boolean writable) {
            this.parent = parent;
            this.mount = mount;
            this.writable = writable;
        }

        private Wire.Payload request(int op) {
            return new Wire.Payload().i32(mount).u8(op);
        }

        @Override
        public boolean writable() {
            return writable;
        }

        @Override
        public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
            return TreeCalls.attributes(parent.ask(request(ATTRIBUTES).text(path.toString()).bool(followLinks)));
        }

        @Override
        public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
            int handle = parent.ask(request(OPEN).text(path.toString()).i32(options(options))).i32();
            return new RemoteChannel(handle);
        }

        @Override
        public List<String> list(VirtualPath directory) throws IOException {
            return parent.ask(request(LIST).text(directory.toString())).texts();
        }

        @Override
        public VirtualPath realPath(VirtualPath path) throws IOException {
            return VirtualPath.of(parent.ask(request(REAL_PATH).text(path.toString())).string());
        }

        @Override
        public void createDirectory(VirtualPath path) throws IOException {
            parent.ask(request(CREATE_DIRECTORY).text(path.toString()));
        }

        @Override
        public void delete(VirtualPath path) throws IOException {
            parent.ask(request(DELETE).text(path.toString()));
        }

        @Override
        public void move(VirtualPath from, VirtualPath to, boolean replaceExisting) throws IOException {
            parent.ask(request(MOVE).text(from.toString()).text(to.toString()).bool(replaceExisting));
        }

        @Override
        public void createSymbolicLink(VirtualPath link, String target) throws IOException {
            parent.ask(request(SYMLINK).text(link.toString()).text(target));
        }

        @Override
        public String readSymbolicLink(VirtualPath link) throws IOException {
            return parent.ask(request(READ_LINK).text(link.toString())).string();
        }

        @Override
        public void setTimes(VirtualPath path, FileTime lastModified, FileTime lastAccess) throws IOException {
            parent.ask(request(SET_TIMES).text(path.toString())
                    .i64(lastModified == null ? Long.MIN_VALUE : lastModified.toMillis())
                    .i64(lastAccess == null ? Long.MIN_VALUE : lastAccess.toMillis()));
        }

        @Override
        public void setMode(VirtualPath path, int mode) throws IOException {
            parent.ask(request(SET_MODE).text(path.toString()).i32(mode));
        }

        @Override
        public StoreSpace space() throws IOException {
            Wire.Reader r = parent.ask(request(SPACE));
            return new StoreSpace(r.i64(), r.i64());
        }

        /** An open file of the parent's, by its handle. */
        private final class RemoteChannel implements SeekableByteChannel {
            private final int handle;
            private boolean open = true;

            RemoteChannel(int handle) {
                this.handle = handle;
            }

            private Wire.Payload on(int op) {
                return request(op).i32(handle);
            }

            @Override
            public int read(ByteBuffer dst) throws IOException {
                byte[] data = parent.ask(on(READ).i32(Math.min(dst.remaining(), CHUNK))).bytes();
                if (data.length == 0 && dst.hasRemaining()) {
                    return -1;
                }
                dst.put(data);
                return data.length;
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                int total = 0;
                while (src.hasRemaining()) {
                    byte[] chunk = new byte[Math.min(src.remaining(), CHUNK)];
                    src.get(chunk);
                    total += parent.ask(on(WRITE).bytes(chunk)).i32();
                }
                return total;
            }

            @Override
            public long position() throws IOException {
                return parent.ask(on(POSITION)).i64();
            }

            @Override
            public SeekableByteChannel position(long newPosition) throws IOException {
                parent.ask(on(SEEK).i64(newPosition));
                return this;
            }

            @Override
            public long size() throws IOException {
                return parent.ask(on(SIZE)).i64();
            }

            @Override
            public SeekableByteChannel truncate(long size) throws IOException {
                parent.ask(on(TRUNCATE).i64(size));
                return this;
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() throws IOException {
                if (open) {
                    open = false;
                    parent.ask(on(CLOSE));
                }
            }
        }
    }

    /**
     * The parent's side: the call's granted mounts by index, and the files a worker holds open. Each request is
     * checked (a mount of this call, a path the virtual filesystem can hold, a handle this call opened) before it
     * touches a tree. Not thread-safe: one worker's requests come one at a time.
     */
    static final class Server {
        private final List<FileTree> mounts;
        private final Map<Integer, SeekableByteChannel> handles = new HashMap<>();
        private int nextHandle = 1;

        Server(List<FileTree> mounts) {
            this.mounts = List.copyOf(mounts);
        }

        /** Answers one request into {@code reply} (after the ok flag); tree failures are thrown to the caller. */
        void answer(Wire.Reader r, Wire.Payload reply) throws IOException {
            int index = r.i32();
            if (index < 0 || index >= mounts.size()) {
                throw new Wire.ProtocolViolation("a mount of index " + index);
            }
            FileTree tree = mounts.get(index);
            int op = r.u8();
            switch (op) {
                case ATTRIBUTES -> attributes(reply, tree.attributes(path(r), r.bool()));
                case OPEN -> {
                    VirtualPath path = path(r);
                    Set<OpenOption> options = options(r.i32());
                    if (handles.size() >= MAX_HANDLES) {
                        throw new FileSystemException(path.toString(), null, "Too many open files");
                    }
                    SeekableByteChannel channel = tree.open(path, options);
                    int h = nextHandle++;
                    handles.put(h, channel);
                    reply.i32(h);
                }
                case LIST -> reply.texts(tree.list(path(r)));
                case REAL_PATH -> reply.text(tree.realPath(path(r)).toString());
                case CREATE_DIRECTORY -> tree.createDirectory(path(r));
                case DELETE -> tree.delete(path(r));
                case MOVE -> tree.move(path(r), path(r), r.bool());
                case SYMLINK -> tree.createSymbolicLink(path(r), r.string());
                case READ_LINK -> reply.text(tree.readSymbolicLink(path(r)));
                case SET_TIMES -> {
                    VirtualPath path = path(r);
                    long m = r.i64();
                    long a = r.i64();
                    tree.setTimes(path, m == Long.MIN_VALUE ? null : FileTime.fromMillis(m),
                            a == Long.MIN_VALUE ? null : FileTime.fromMillis(a));
                }
                case SET_MODE -> tree.setMode(path(r), r.i32());
                case SPACE -> {
                    StoreSpace space = tree.space();
                    reply.i64(space.totalBytes()).i64(space.freeBytes());
                }
                case READ -> {
                    SeekableByteChannel c = handle(r);
                    int max = r.i32();
                    if (max < 0 || max > CHUNK) {
                        throw new Wire.ProtocolViolation("a read of " + max + " bytes");
                    }
                    ByteBuffer buffer = ByteBuffer.allocate(max);
                    int n = c.read(buffer);
                    reply.bytes(buffer.array(), 0, Math.max(0, n));
                }
                case WRITE -> {
                    SeekableByteChannel c = handle(r);
                    reply.i32(c.write(ByteBuffer.wrap(r.bytes())));
                }
                case POSITION -> reply.i64(handle(r).position());
                case SEEK -> handle(r).position(nonNegative(r.i64()));
                case SIZE -> reply.i64(handle(r).size());
                case TRUNCATE -> handle(r).truncate(nonNegative(r.i64()));
                case CLOSE -> {
                    int h = r.i32();
                    SeekableByteChannel c = handles.remove(h);
                    if (c == null) {
                        throw new Wire.ProtocolViolation("a close of handle " + h);
                    }
                    c.close();
                }
                default -> throw new Wire.ProtocolViolation("a file operation " + op);
            }
            r.end();
        }

        private static VirtualPath path(Wire.Reader r) throws IOException {
            String p = r.string();
            if (!p.startsWith("/") || p.indexOf('\0') >= 0) {
                throw new Wire.ProtocolViolation("a path that is not absolute");
            }
            return VirtualPath.of(p);
        }

        private static long nonNegative(long n) throws Wire.ProtocolViolation {
            if (n < 0) {
                throw new Wire.ProtocolViolation("a negative position");
            }
            return n;
        }

        private SeekableByteChannel handle(Wire.Reader r) throws IOException {
            int h = r.i32();
            SeekableByteChannel c = handles.get(h);
            if (c == null) {
                throw new Wire.ProtocolViolation("an unknown file handle " + h);
            }
            return c;
        }

        /** Closes what the worker left open: the call is over. */
        void closeAll() {
            for (SeekableByteChannel c : handles.values()) {
                try {
                    c.close();
                } catch (IOException | RuntimeException e) {
                    // The call is over either way.
                }
            }
            handles.clear();
        }
    }
}
