package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A read-only tree backed by a host directory. Host symbolic links are resolved by this class, never by
 * the host: a link whose target stays inside the tree is followed, one that points outside it (or loops)
 * behaves as a missing file. Errors name virtual paths only.
 *
 * <p>The check and the open are separate system calls, so a host process that swaps a directory for a
 * link between them could win a race; the trees mounted read-only are the host application's own
 * directories, which the guest cannot change.
 */
public final class HostTree implements FileTree {

    private static final int MAX_LINK_HOPS = 40;

    private final Path root;
    private final long device;

    /**
     * @param root an existing host directory
     * @throws UncheckedIOException if it is not a readable directory
     */
    public HostTree(Path root) {
        try {
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mount " + root + ": " + e.getMessage(), e);
        }
        if (!Files.isDirectory(this.root)) {
            throw new IllegalArgumentException("cannot mount " + root + ": not a directory");
        }
        this.device = Devices.next();
    }

    @Override
    public boolean writable() {
        return false;
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        VirtualPath resolved = resolve(path, followLinks);
        Path host = host(resolved);
        PosixFileAttributes a = read(host, path);
        FileAttributes.Type type = a.isSymbolicLink() ? FileAttributes.Type.SYMLINK
                : a.isDirectory() ? FileAttributes.Type.DIRECTORY : FileAttributes.Type.FILE;
        // Read-only for the guest whatever the host says: no write bits.
        int mode = permissionBits(a.permissions()) & 0555;
        return new FileAttributes(type, a.size(), mode, a.lastModifiedTime(), a.lastAccessTime(),
                a.lastModifiedTime(), Devices.inode(resolved), device, a.isDirectory() ? 2 : 1, 0, 0);
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        VirtualPath resolved = resolve(path, true);
        Path host = host(resolved);
        BasicFileAttributes a = read(host, path);
        if (a.isDirectory()) {
            if (OpenOptions.mutates(options)) {
                throw new FileSystemException(path.toString(), null, "Is a directory");
            }
            // Python opens directories read-only for os.open(dir, O_RDONLY); hand it an empty channel.
            return new ByteArrayChannel(new byte[0]);
        }
        if (OpenOptions.mutates(options)) {
            throw FileTree.readOnly(path);
        }
        try {
            return Files.newByteChannel(host, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new NoSuchFileException(path.toString());
        }
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        VirtualPath resolved = resolve(directory, true);
        Path host = host(resolved);
        BasicFileAttributes a = read(host, directory);
        if (!a.isDirectory()) {
            throw new NotDirectoryException(directory.toString());
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(host)) {
            for (Path child : stream) {
                names.add(child.getFileName().toString());
            }
        } catch (IOException e) {
            throw new NoSuchFileException(directory.toString());
        }
        names.sort(null);
        return names;
    }

    @Override
    public String readSymbolicLink(VirtualPath link) throws IOException {
        VirtualPath resolved = resolve(link, false);
        Path host = host(resolved);
        if (!read(host, link).isSymbolicLink()) {
            throw new NotLinkException(link.toString());
        }
        // Report where the link leads in the guest's terms, never the host's.
        return resolve(link, true).toString();
    }

    /**
     * Resolves every symbolic link on the way to {@code path} (and the last one too when
     * {@code followLast}), staying inside the tree.
     */
    private VirtualPath resolve(VirtualPath path, boolean followLast) throws IOException {
        VirtualPath current = VirtualPath.ROOT;
        List<String> pending = new ArrayList<>(path.segments());
        int hops = 0;
        while (!pending.isEmpty()) {
            String name = pending.remove(0);
            VirtualPath next = current.child(name);
            Path host = host(next);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw new NoSuchFileException(path.toString());
            }
            boolean last = pending.isEmpty();
            if (a.isSymbolicLink() && (!last || followLast)) {
                if (++hops > MAX_LINK_HOPS) {
                    throw new FileSystemLoopException(path.toString());
                }
                VirtualPath target = linkTarget(current, host, path);
                List<String> rest = new ArrayList<>(target.segments());
                rest.addAll(pending);
                pending = rest;
                current = VirtualPath.ROOT;
            } else {
                if (!last && !a.isDirectory()) {
                    throw new NotDirectoryException(path.toString());
                }
                current = next;
            }
        }
        return current;
    }

    /** Where a host link leads, as a path inside this tree; a link that leaves the tree is not followed. */
    private VirtualPath linkTarget(VirtualPath linkDirectory, Path link, VirtualPath asked) throws IOException {
        Path target;
        try {
            target = Files.readSymbolicLink(link);
        } catch (IOException e) {
            throw new NoSuchFileException(asked.toString());
        }
        Path absolute = target.isAbsolute() ? target.normalize() : host(linkDirectory).resolve(target).normalize();
        if (!absolute.startsWith(root)) {
            throw new NoSuchFileException(asked.toString());
        }
        VirtualPath result = VirtualPath.ROOT;
        for (Path segment : root.relativize(absolute)) {
            if (!segment.toString().isEmpty()) {
                result = result.child(segment.toString());
            }
        }
        return result;
    }

    private Path host(VirtualPath relative) {
        Path p = root;
        for (String segment : relative.segments()) {
            p = p.resolve(segment);
        }
        return p;
    }

    private static PosixFileAttributes read(Path host, VirtualPath asked) throws IOException {
        try {
            return Files.readAttributes(host, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new NoSuchFileException(asked.toString());
        }
    }

    private static int permissionBits(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 1 << (8 - p.ordinal());
        }
        return mode;
    }
}
