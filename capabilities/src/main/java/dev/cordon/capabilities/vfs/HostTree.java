package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Quota;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Lock;

/**
 * A tree backed by a host directory, read-only (a mount) or writable under a {@link Quota} (a principal's
 * {@code /tmp}). Symbolic links are resolved by this class, never by the host kernel: every lookup walks
 * the path one name at a time without following links on the host, so no link, whoever made it, leads
 * out of the tree. A link that would leave the tree (or loops) behaves as a missing file. Errors name
 * virtual paths only.
 *
 * <p>In a read-only tree host links are the host's own, and an absolute target is a host path that must
 * lie inside the tree. In a writable tree links are the guest's: their targets are kept verbatim on the
 * host (absolute ones in the tree's own coordinates) and are read back as written.
 *
 * <p>Modes in a writable tree are the guest's, kept on the host masked to {@code 0777} (never set-id
 * bits), and enforced for the owner on open whatever user the host runs as. In a read-only tree the guest
 * sees the host's modes without write bits.
 *
 * <p>A lookup and the use of its result are two host calls. In a writable tree both happen under the
 * ledger's lock, which every change takes exclusively, so the calls of one principal in this process cannot
 * race each other; read-only trees are the host application's own directories, which the guest cannot
 * change.
 */
public final class HostTree implements FileTree {

    private final Path root;
    private final long device;
    private final QuotaLedger ledger;

    /**
     * A read-only tree.
     *
     * @param root an existing host directory
     * @throws UncheckedIOException if it is not a readable directory
     */
    public HostTree(Path root) {
        this(realDirectory(root), null);
    }

    private HostTree(Path realRoot, QuotaLedger ledger) {
        this.root = realRoot;
        this.ledger = ledger;
        this.device = Devices.next();
    }

    /**
     * A writable tree whose contents count against {@code quota}. The usage already on disk is counted now.
     *
     * @throws IOException if the directory cannot be read
     */
    public static HostTree writable(Path root, Quota quota) throws IOException {
        Path real = realDirectory(root);
        return new HostTree(real, new QuotaLedger(quota, real));
    }

    private static Path realDirectory(Path root) {
        Path real;
        try {
            real = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mount " + root + ": " + e.getMessage(), e);
        }
        if (!Files.isDirectory(real)) {
            throw new IllegalArgumentException("cannot mount " + root + ": not a directory");
        }
        return real;
    }

    @Override
    public boolean writable() {
        return ledger != null;
    }

    /** Bytes held by the files of a writable tree, as counted against its quota. */
    public long usedBytes() {
        return ledger == null ? 0 : ledger.bytes();
    }

    @Override
    public StoreSpace space() {
        return ledger == null ? StoreSpace.READ_ONLY : StoreSpace.ofQuota(ledger.quota().maxBytes(), ledger.bytes());
    }

    /** Files, directories and links of a writable tree, as counted against its quota. */
    public long usedEntries() {
        return ledger == null ? 0 : ledger.entries();
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        try (Locked ignored = shared()) {
            VirtualPath resolved = resolve(path, followLinks, false);
            PosixFileAttributes a = stat(resolved, path);
            FileAttributes.Type type = a.isSymbolicLink() ? FileAttributes.Type.SYMLINK
                    : a.isDirectory() ? FileAttributes.Type.DIRECTORY : FileAttributes.Type.FILE;
            int mode = FileModes.bits(a.permissions()) & (writable() ? 0777 : 0555);
            return new FileAttributes(type, a.size(), mode, a.lastModifiedTime(), a.lastAccessTime(),
                    a.lastModifiedTime(), Devices.inode(resolved), device, a.isDirectory() ? 2 : 1, 0, 0);
        }
    }

    @Override
    public VirtualPath realPath(VirtualPath path) throws IOException {
        try (Locked ignored = shared()) {
            VirtualPath resolved = resolve(path, true, false);
            stat(resolved, path);
            return resolved;
        }
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        boolean mutates = OpenOptions.mutates(options);
        if (mutates && !writable()) {
            throw FileTree.readOnly(path);
        }
        boolean creates = options.contains(StandardOpenOption.CREATE)
                || options.contains(StandardOpenOption.CREATE_NEW);
        try (Locked ignored = mutates ? exclusive() : shared()) {
            boolean follow = !options.contains(LinkOption.NOFOLLOW_LINKS);
            VirtualPath resolved = resolve(path, follow, creates);
            Path host = host(resolved);
            PosixFileAttributes a = lstat(host);
            if (a == null) {
                if (!creates) {
                    throw new NoSuchFileException(path.toString());
                }
                return create(path, host, options);
            }
            if (a.isSymbolicLink()) {
                throw new FileSystemLoopException(path.toString());
            }
            if (options.contains(StandardOpenOption.CREATE_NEW)) {
                // O_CREAT|O_EXCL: whatever is there, a file or a directory, it exists (EEXIST before EISDIR).
                throw new FileAlreadyExistsException(path.toString());
            }
            if (a.isDirectory()) {
                if (mutates) {
                    throw new FileSystemException(path.toString(), null, "Is a directory");
                }
                // Python opens directories read-only for os.open(dir, O_RDONLY); hand it an empty channel.
                return new ByteArrayChannel(new byte[0]);
            }
            if (writable()) {
                checkOwnerMay(a, options, path);
            }
            if (!mutates) {
                return hostChannel(host, Set.of(StandardOpenOption.READ), path);
            }
            boolean truncates = options.contains(StandardOpenOption.TRUNCATE_EXISTING)
                    && !options.contains(StandardOpenOption.APPEND);
            FileChannel channel = hostChannel(host, options, path);
            if (truncates) {
                ledger.releaseBytes(a.size());
            }
            return new QuotaChannel(channel, ledger, host, options.contains(StandardOpenOption.APPEND),
                    false);
        }
    }

    private SeekableByteChannel create(VirtualPath path, Path host, Set<? extends OpenOption> options)
            throws IOException {
        ledger.reserveEntry(path);
        try {
            Set<OpenOption> exact = new HashSet<>(options);
            exact.remove(StandardOpenOption.CREATE);
            exact.add(StandardOpenOption.CREATE_NEW);
            FileChannel channel = hostChannel(host, exact, path);
            return new QuotaChannel(channel, ledger, host, options.contains(StandardOpenOption.APPEND),
                    true);
        } catch (IOException | RuntimeException e) {
            ledger.releaseEntry(0);
            throw e;
        }
    }

    /** The guest's mode bits bind the guest even when the host runs as root. */
    private static void checkOwnerMay(PosixFileAttributes a, Set<? extends OpenOption> options, VirtualPath path)
            throws AccessDeniedException {
        Set<PosixFilePermission> p = a.permissions();
        boolean read = options.contains(StandardOpenOption.READ);
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        if (read && !p.contains(PosixFilePermission.OWNER_READ)
                || write && !p.contains(PosixFilePermission.OWNER_WRITE)) {
            throw new AccessDeniedException(path.toString());
        }
    }

    private static FileChannel hostChannel(Path host, Set<? extends OpenOption> options, VirtualPath path)
            throws IOException {
        Set<OpenOption> exact = new HashSet<>();
        for (OpenOption o : options) {
            if (o instanceof StandardOpenOption) {
                exact.add(o);
            }
        }
        exact.add(LinkOption.NOFOLLOW_LINKS);
        try {
            return FileChannel.open(host, exact);
        } catch (IOException e) {
            throw translate(e, path);
        }
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        try (Locked ignored = shared()) {
            VirtualPath resolved = resolve(directory, true, false);
            Path host = host(resolved);
            if (!stat(resolved, directory).isDirectory()) {
                throw new NotDirectoryException(directory.toString());
            }
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(host)) {
                for (Path child : stream) {
                    names.add(child.getFileName().toString());
                }
            } catch (IOException e) {
                throw translate(e, directory);
            }
            names.sort(null);
            return names;
        }
    }

    @Override
    public void createDirectory(VirtualPath path) throws IOException {
        if (path.isRoot()) {
            throw new FileAlreadyExistsException("/");
        }
        mutate(path, host -> {
            if (lstat(host) != null) {
                throw new FileAlreadyExistsException(path.toString());
            }
            ledger.reserveEntry(path);
            try {
                Files.createDirectory(host);
            } catch (IOException e) {
                ledger.releaseEntry(0);
                throw translate(e, path);
            }
        });
    }

    @Override
    public void delete(VirtualPath path) throws IOException {
        mutate(path, host -> {
            PosixFileAttributes a = lstat(host);
            if (a == null) {
                throw new NoSuchFileException(path.toString());
            }
            try {
                Files.delete(host);
            } catch (IOException e) {
                throw translate(e, path);
            }
            ledger.releaseEntry(a.isRegularFile() ? a.size() : 0);
        });
    }

    @Override
    public void move(VirtualPath from, VirtualPath to, boolean replaceExisting) throws IOException {
        if (!writable()) {
            throw FileTree.readOnly(from);
        }
        if (from.isRoot() || to.isRoot()) {
            throw new AccessDeniedException((from.isRoot() ? from : to).toString(), null, "Device or resource busy");
        }
        try (Locked ignored = exclusive()) {
            VirtualPath source = resolve(from.parent(), true, false).child(from.fileName());
            VirtualPath target = resolve(to.parent(), true, false).child(to.fileName());
            PosixFileAttributes s = lstat(host(source));
            if (s == null) {
                throw new NoSuchFileException(from.toString());
            }
            if (source.equals(target)) {
                return;
            }
            if (s.isDirectory() && target.startsWith(source)) {
                throw new FileSystemException(from.toString(), to.toString(), "Invalid argument");
            }
            PosixFileAttributes t = lstat(host(target));
            if (t != null) {
                if (!replaceExisting) {
                    throw new FileAlreadyExistsException(to.toString());
                }
                if (s.isDirectory() && !t.isDirectory()) {
                    throw new NotDirectoryException(to.toString());
                }
                if (!s.isDirectory() && t.isDirectory()) {
                    throw new FileSystemException(to.toString(), null, "Is a directory");
                }
            }
            try {
                // rename(2): atomic, and it replaces a file or an empty directory.
                Files.move(host(source), host(target), StandardCopyOption.ATOMIC_MOVE);
            } catch (DirectoryNotEmptyException e) {
                throw new DirectoryNotEmptyException(to.toString());
            } catch (IOException e) {
                throw translate(e, from);
            }
            if (t != null) {
                ledger.releaseEntry(t.isRegularFile() ? t.size() : 0);
            }
        }
    }

    /**
     * Creates a guest link. The virtual filesystem has already checked that the target stays in this tree
     * and given it in the tree's coordinates when absolute.
     */
    @Override
    public void createSymbolicLink(VirtualPath link, String target) throws IOException {
        mutate(link, host -> {
            if (lstat(host) != null) {
                throw new FileAlreadyExistsException(link.toString());
            }
            ledger.reserveEntry(link);
            try {
                Files.createSymbolicLink(host, Path.of(target));
            } catch (IOException e) {
                ledger.releaseEntry(0);
                throw translate(e, link);
            } catch (RuntimeException e) {
                ledger.releaseEntry(0);
                throw e;
            }
        });
    }

    @Override
    public String readSymbolicLink(VirtualPath link) throws IOException {
        try (Locked ignored = shared()) {
            VirtualPath resolved = resolve(link, false, false);
            Path host = host(resolved);
            if (!stat(resolved, link).isSymbolicLink()) {
                throw new NotLinkException(link.toString());
            }
            if (writable()) {
                return Files.readSymbolicLink(host).toString();
            }
            // A host link is reported where it leads in the guest's terms, never in the host's.
            return resolve(link, true, false).toString();
        }
    }

    @Override
    public void setTimes(VirtualPath path, FileTime lastModified, FileTime lastAccess) throws IOException {
        changeAttributes(path, host -> Files.getFileAttributeView(host, BasicFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS).setTimes(lastModified, lastAccess, null));
    }

    @Override
    public void setMode(VirtualPath path, int mode) throws IOException {
        changeAttributes(path, host -> Files.getFileAttributeView(host, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS).setPermissions(FileModes.permissions(mode & 0777)));
    }

    private interface HostAction {
        void apply(Path host) throws IOException;
    }

    private void changeAttributes(VirtualPath path, HostAction action) throws IOException {
        if (!writable()) {
            throw FileTree.readOnly(path);
        }
        try (Locked ignored = shared()) {
            VirtualPath resolved = resolve(path, true, false);
            stat(resolved, path);
            try {
                action.apply(host(resolved));
            } catch (IOException e) {
                throw translate(e, path);
            }
        }
    }

    /** Adds or removes the entry {@code path} names, in its parent directory with links followed. */
    private void mutate(VirtualPath path, HostAction change) throws IOException {
        if (!writable()) {
            throw FileTree.readOnly(path);
        }
        if (path.isRoot()) {
            // The tree's root is a mount point: it exists, and it cannot go away.
            throw new AccessDeniedException("/", null, "Device or resource busy");
        }
        try (Locked ignored = exclusive()) {
            VirtualPath parent = resolve(path.parent(), true, false);
            if (!stat(parent, path.parent()).isDirectory()) {
                throw new NotDirectoryException(path.toString());
            }
            change.apply(host(parent.child(path.fileName())));
        }
    }

    /** Resolves a path as {@link LinkWalk} does, on the host's entries, without following a host link. */
    private VirtualPath resolve(VirtualPath path, boolean followLast, boolean missingLastOk) throws IOException {
        return LinkWalk.resolve(path, followLast, missingLastOk, new LinkWalk.Entries() {
            @Override
            public FileAttributes.Type kind(VirtualPath p) throws IOException {
                PosixFileAttributes a = lstat(host(p));
                return a == null ? null : a.isSymbolicLink() ? FileAttributes.Type.SYMLINK
                        : a.isDirectory() ? FileAttributes.Type.DIRECTORY : FileAttributes.Type.FILE;
            }

            @Override
            public VirtualPath target(VirtualPath directory, VirtualPath link) {
                return linkTarget(directory, host(link));
            }
        });
    }

    /** Where a link leads, as a path inside this tree; null for a link that leaves the tree. */
    private VirtualPath linkTarget(VirtualPath linkDirectory, Path link) {
        Path target;
        try {
            target = Files.readSymbolicLink(link);
        } catch (IOException e) {
            return null;
        }
        if (writable()) {
            return LinkWalk.guestTarget(linkDirectory, target.toString());
        }
        Path absolute = target.isAbsolute() ? target.normalize() : host(linkDirectory).resolve(target).normalize();
        if (!absolute.startsWith(root)) {
            return null;
        }
        VirtualPath result = VirtualPath.ROOT;
        for (Path segment : root.relativize(absolute)) {
            if (!segment.toString().isEmpty()) {
                result = result.child(segment.toString());
            }
        }
        return result;
    }

    /** {@code relative} resolved against {@code directory}, or null when its {@code ..}s climb above the root. */
    static VirtualPath climbWithin(VirtualPath directory, String relative) {
        return LinkWalk.climbWithin(directory, relative);
    }

    private Path host(VirtualPath relative) {
        Path p = root;
        for (String segment : relative.segments()) {
            p = p.resolve(segment);
        }
        return p;
    }

    private PosixFileAttributes stat(VirtualPath resolved, VirtualPath asked) throws IOException {
        PosixFileAttributes a = lstat(host(resolved));
        if (a == null) {
            throw new NoSuchFileException(asked.toString());
        }
        return a;
    }

    /** The host's attributes of exactly this entry, or null when there is none. */
    private static PosixFileAttributes lstat(Path host) throws IOException {
        try {
            return Files.readAttributes(host, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
        } catch (FileSystemException e) {
            if ("File name too long".equals(e.getReason())) {
                throw new FileSystemException("", null, e.getReason());
            }
            return null;
        }
    }

    /** The host's exception again, naming the virtual path: host paths never reach the guest. */
    private static IOException translate(IOException e, VirtualPath path) {
        String file = path.toString();
        if (e instanceof NoSuchFileException) {
            return new NoSuchFileException(file);
        } else if (e instanceof AccessDeniedException) {
            return new AccessDeniedException(file);
        } else if (e instanceof FileAlreadyExistsException) {
            return new FileAlreadyExistsException(file);
        } else if (e instanceof DirectoryNotEmptyException) {
            return new DirectoryNotEmptyException(file);
        } else if (e instanceof NotDirectoryException) {
            return new NotDirectoryException(file);
        } else if (e instanceof FileSystemLoopException) {
            return new FileSystemLoopException(file);
        } else if (e instanceof FileSystemException f && f.getReason() != null) {
            return new FileSystemException(file, null, f.getReason());
        }
        return new FileSystemException(file, null, "Input/output error");
    }

    private Locked shared() {
        return ledger == null ? Locked.NONE : Locked.hold(ledger.structure().readLock());
    }

    private Locked exclusive() {
        return Locked.hold(ledger.structure().writeLock());
    }

    /** A held lock, released by try-with-resources. */
    private interface Locked extends AutoCloseable {
        Locked NONE = () -> {
        };

        static Locked hold(Lock lock) {
            lock.lock();
            return lock::unlock;
        }

        @Override
        void close();
    }
}
