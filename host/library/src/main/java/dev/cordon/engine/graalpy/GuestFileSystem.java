package dev.cordon.engine.graalpy;

import dev.cordon.capabilities.vfs.FileAttributes;
import dev.cordon.capabilities.vfs.FileModes;
import dev.cordon.capabilities.vfs.StoreSpace;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import org.graalvm.polyglot.io.FileSystem;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.DirectoryStream;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.CopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GraalPy's view of the {@link VirtualFileSystem}: every file operation of the guest (open, os.*,
 * imports of the standard library) arrives here as a polyglot {@link FileSystem} call and is answered
 * from the virtual tree alone. Paths are plain names: {@link Path} objects of the default provider are
 * used only to carry strings, never to touch the host.
 */
final class GuestFileSystem implements FileSystem {

    private static final Set<String> BASIC = Set.of("lastModifiedTime", "lastAccessTime", "creationTime",
            "size", "isRegularFile", "isDirectory", "isSymbolicLink", "isOther", "fileKey");
    private static final Set<String> POSIX = Set.of("permissions", "owner", "group");
    private static final Set<String> UNIX = Set.of("mode", "ino", "dev", "rdev", "nlink", "uid", "gid", "ctime");

    private volatile VirtualFileSystem vfs;
    private final VirtualPath tempDirectory;
    private volatile VirtualPath cwd;

    GuestFileSystem(VirtualFileSystem vfs, VirtualPath cwd, VirtualPath tempDirectory) {
        this.vfs = vfs;
        this.cwd = cwd;
        this.tempDirectory = tempDirectory;
    }

    /**
     * Puts a call's tree in place of the one the context was prepared over. Called once, before the
     * guest's code starts, on a context that has run nothing but its boot.
     */
    /** The virtual filesystem the guest sees now. */
    VirtualFileSystem virtual() {
        return vfs;
    }

    void use(VirtualFileSystem tree, VirtualPath cwd) {
        this.vfs = tree;
        this.cwd = cwd;
    }

    /** Records the filesystem's refusals to the trail of the call now running. */
    void recordTo(dev.cordon.capabilities.AuditTrail audit) {
        vfs.recordTo(audit);
    }

    /**
     * The path the guest means. A bare relative name such as {@code <frozen os>} is not looked for: GraalPy
     * looks for a file of that name in the working directory each time it loads a frozen module's code, and
     * would make a file a guest left there the text of that code for every context of the engine, besides a
     * lookup in the principal's store each time. The guest reaches such a file by an absolute path.
     */
    private VirtualPath virtual(Path path) throws NoSuchFileException {
        String s = path.toString();
        if (path.isAbsolute()) {
            return VirtualPath.of(s);
        }
        if (s.startsWith(FROZEN_PREFIX) && s.endsWith(">") && path.getNameCount() == 1) {
            throw new NoSuchFileException(s);
        }
        return cwd.resolve(s);
    }

    /** How GraalPy names the code of a frozen module. */
    private static final String FROZEN_PREFIX = "<frozen ";

    private static Path real(VirtualPath path) {
        return Path.of(path.toString());
    }

    @Override
    public Path parsePath(URI uri) {
        if (!"file".equals(uri.getScheme())) {
            throw new UnsupportedOperationException("only file: URIs name files in the sandbox");
        }
        return parsePath(uri.getPath());
    }

    @Override
    public Path parsePath(String path) {
        if (path.indexOf('\0') >= 0) {
            throw new InvalidPathException(path.replace('\0', '?'), "embedded NUL character");
        }
        return Path.of(path);
    }

    @Override
    public void checkAccess(Path path, Set<? extends AccessMode> modes, LinkOption... linkOptions)
            throws IOException {
        FileAttributes a = vfs.attributes(virtual(path), !nofollow(linkOptions));
        int mode = a.mode();
        if (modes.contains(AccessMode.READ) && (mode & 0444) == 0
                || modes.contains(AccessMode.WRITE) && (mode & 0222) == 0
                || modes.contains(AccessMode.EXECUTE) && (mode & 0111) == 0) {
            throw new AccessDeniedException(virtual(path).toString());
        }
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        vfs.createDirectory(virtual(dir));
    }

    @Override
    public void delete(Path path) throws IOException {
        vfs.delete(virtual(path));
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
                                              FileAttribute<?>... attrs) throws IOException {
        VirtualPath v = virtual(path);
        Integer mode = createMode(attrs);
        boolean creates = mode != null && (options.contains(StandardOpenOption.CREATE_NEW)
                || options.contains(StandardOpenOption.CREATE) && !exists(v));
        SeekableByteChannel channel = vfs.open(v, options);
        if (creates) {
            // os.open's mode argument (so tempfile.mkstemp's 0o600): kept for a file this open created.
            try {
                vfs.setMode(v, mode);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
        return channel;
    }

    /**
     * Whether something is at {@code v}; a path that cannot be looked up (too long, not granted) counts as
     * absent, and the open that follows reports it, with its audit event.
     */
    private boolean exists(VirtualPath v) {
        try {
            vfs.attributes(v, true);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The permission bits a create asks for, if it names them. */
    @SuppressWarnings("unchecked")
    private static Integer createMode(FileAttribute<?>... attrs) {
        for (FileAttribute<?> a : attrs) {
            if (a.name().equals("posix:permissions") && a.value() instanceof Set<?> set) {
                return FileModes.bits((Set<PosixFilePermission>) set);
            }
            if (a.name().equals("unix:mode") && a.value() instanceof Integer bits) {
                return bits & 07777;
            }
        }
        return null;
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        List<String> names = vfs.list(virtual(dir));
        List<Path> entries = new ArrayList<>(names.size());
        for (String name : names) {
            Path entry = dir.resolve(name);
            if (filter.accept(entry)) {
                entries.add(entry);
            }
        }
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                return entries.iterator();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Path toAbsolutePath(Path path) {
        return path.isAbsolute() ? path : real(cwd.resolve(path.toString()));
    }

    @Override
    public Path toRealPath(Path path, LinkOption... linkOptions) throws IOException {
        VirtualPath v = virtual(path);
        if (nofollow(linkOptions)) {
            vfs.attributes(v, false);
            return real(v);
        }
        // GraalPy's os.readlink is this call: it answers with the fully resolved target.
        return real(vfs.realPath(v));
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
            throws IOException {
        FileAttributes a = vfs.attributes(virtual(path), !nofollow(options));
        String view = "basic";
        String names = attributes;
        int colon = attributes.indexOf(':');
        if (colon >= 0) {
            view = attributes.substring(0, colon);
            names = attributes.substring(colon + 1);
        }
        Set<String> wanted = new java.util.HashSet<>();
        for (String n : names.split(",")) {
            if (n.equals("*")) {
                wanted.addAll(BASIC);
                if (!view.equals("basic")) {
                    wanted.addAll(POSIX);
                }
                if (view.equals("unix")) {
                    wanted.addAll(UNIX);
                }
            } else {
                wanted.add(n);
            }
        }
        Map<String, Object> result = new HashMap<>();
        for (String n : wanted) {
            Object value = attribute(a, n);
            if (value == null) {
                throw new UnsupportedOperationException("attribute " + view + ":" + n + " is not supported");
            }
            result.put(n, value);
        }
        return result;
    }

    private static Object attribute(FileAttributes a, String name) {
        return switch (name) {
            case "lastModifiedTime" -> a.lastModified();
            case "lastAccessTime" -> a.lastAccess();
            case "creationTime", "ctime" -> a.created();
            case "size" -> a.size();
            case "isRegularFile" -> a.isRegularFile();
            case "isDirectory" -> a.isDirectory();
            case "isSymbolicLink" -> a.isSymbolicLink();
            case "isOther" -> false;
            case "fileKey" -> a.device() + ":" + a.inode();
            case "permissions" -> FileModes.permissions(a.mode());
            case "owner" -> new VirtualUser(a.uid() == 0 ? "root" : "sandbox");
            case "group" -> new VirtualGroup(a.gid() == 0 ? "root" : "sandbox");
            case "mode" -> a.fullMode();
            case "ino" -> a.inode();
            case "dev" -> a.device();
            case "rdev" -> 0L;
            case "nlink" -> a.links();
            case "uid" -> a.uid();
            case "gid" -> a.gid();
            default -> null;
        };
    }

    @SuppressWarnings("unchecked")
    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        VirtualPath v = virtual(path);
        String name = attribute.substring(attribute.indexOf(':') + 1);
        switch (name) {
            case "lastModifiedTime" -> vfs.setTimes(v, (FileTime) value, null);
            case "lastAccessTime" -> vfs.setTimes(v, null, (FileTime) value);
            case "permissions" -> vfs.setMode(v, FileModes.bits((Set<PosixFilePermission>) value));
            case "mode" -> vfs.setMode(v, (Integer) value);
            default -> throw new AccessDeniedException(v.toString(), null, "cannot set " + attribute + " = " + value
                    + (value == null ? "" : " (" + value.getClass().getName() + ")"));
        }
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        vfs.createSymbolicLink(virtual(link), target.toString());
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        throw new AccessDeniedException(virtual(link).toString(), null, "hard links are not supported");
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        return Path.of(vfs.readSymbolicLink(virtual(link)));
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        boolean replace = Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING);
        vfs.move(virtual(source), virtual(target), replace);
    }

    @Override
    public void setCurrentWorkingDirectory(Path currentWorkingDirectory) {
        VirtualPath v;
        try {
            v = virtual(currentWorkingDirectory);
            if (!vfs.attributes(v, true).isDirectory()) {
                throw new IllegalArgumentException("not a directory: " + v);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such directory: " + currentWorkingDirectory);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        cwd = v;
    }

    @Override
    public Path getTempDirectory() {
        return real(tempDirectory);
    }

    @Override
    public boolean isSameFile(Path path1, Path path2, LinkOption... options) throws IOException {
        return toRealPath(path1, options).equals(toRealPath(path2, options));
    }

    // What os.statvfs and shutil.disk_usage report: the store's space as the virtual filesystem gives it.

    @Override
    public long getFileStoreTotalSpace(Path path) throws IOException {
        return vfs.space(virtual(path)).totalBytes();
    }

    @Override
    public long getFileStoreUnallocatedSpace(Path path) throws IOException {
        return vfs.space(virtual(path)).freeBytes();
    }

    @Override
    public long getFileStoreUsableSpace(Path path) throws IOException {
        return vfs.space(virtual(path)).freeBytes();
    }

    @Override
    public long getFileStoreBlockSize(Path path) throws IOException {
        vfs.attributes(virtual(path), true);
        return StoreSpace.BLOCK_SIZE;
    }

    @Override
    public boolean isFileStoreReadOnly(Path path) throws IOException {
        return !vfs.isWritable(vfs.realPath(virtual(path)));
    }

    private static boolean nofollow(LinkOption... options) {
        return Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
    }

    private record VirtualUser(String getName) implements UserPrincipal {
    }

    private record VirtualGroup(String getName) implements GroupPrincipal {
    }
}
