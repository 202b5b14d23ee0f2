package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.AuditTrail;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The whole filesystem one call sees: a table of trees mounted at virtual paths. A path that is in no
 * mount and is not an ancestor of one does not exist. The ancestors of mount points ({@code /},
 * {@code /usr}, ...) are synthetic read-only directories that list the mounts below them.
 *
 * <p>Every operation resolves the path lexically first ({@link VirtualPath}), then picks the mount with
 * the longest matching mount point, so no string the guest writes can reach past the table. Refusals are
 * recorded in the call's {@link AuditTrail}.
 *
 * <p>An instance belongs to one call, or to a session's consecutive calls, each of which it records to in
 * turn ({@link #recordTo}); it is as thread-safe as its trees.
 */
public final class VirtualFileSystem {

    private final Map<VirtualPath, FileTree> mounts;
    private volatile AuditTrail audit;
    private final FileTime syntheticTime = FileTime.from(Instant.EPOCH);
    private final long syntheticDevice = Devices.next();
    private final OpenFiles openFiles = new OpenFiles();

    /** Who owns the entries of writable trees (the guest's own files); read-only trees' belong to root. */
    private final int ownerUid;
    private final int ownerGid;

    private VirtualFileSystem(Map<VirtualPath, FileTree> mounts, AuditTrail audit, int ownerUid, int ownerGid) {
        this.mounts = mounts;
        this.audit = audit;
        this.ownerUid = ownerUid;
        this.ownerGid = ownerGid;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Assembles a mount table. */
    public static final class Builder {
        private final Map<VirtualPath, FileTree> mounts = new LinkedHashMap<>();
        private AuditTrail audit = new AuditTrail();
        private int ownerUid;
        private int ownerGid;

        private Builder() {
        }

        /**
         * The user and group that own what writable trees hold: the guest's own files, as a process's files are
         * its user's (default 0 and 0, root's, as every read-only tree's entries are).
         */
        public Builder owner(int uid, int gid) {
            this.ownerUid = uid;
            this.ownerGid = gid;
            return this;
        }

        /**
         * Mounts {@code tree} at {@code mountPoint}.
         *
         * @throws IllegalArgumentException if the mount point is the root or already taken
         */
        public Builder mount(String mountPoint, FileTree tree) {
            VirtualPath point = VirtualPath.of(mountPoint);
            if (point.isRoot()) {
                throw new IllegalArgumentException("cannot mount over /");
            }
            if (mounts.putIfAbsent(point, Objects.requireNonNull(tree, "tree")) != null) {
                throw new IllegalArgumentException("mount point taken: " + point);
            }
            return this;
        }

        public Builder audit(AuditTrail audit) {
            this.audit = Objects.requireNonNull(audit, "audit");
            return this;
        }

        public VirtualFileSystem build() {
            Map<VirtualPath, FileTree> sorted = new LinkedHashMap<>();
            mounts.entrySet().stream()
                    .sorted(Comparator.comparingInt((Map.Entry<VirtualPath, FileTree> e) -> e.getKey().depth())
                            .reversed())
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return new VirtualFileSystem(sorted, audit, ownerUid, ownerGid);
        }
    }

    /** Records refusals from now on to {@code audit}: the trail of the call now using this filesystem. */
    public void recordTo(AuditTrail audit) {
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    /**
     * This filesystem with one more tree, for a backend that serves a device of its own (the PyPy backend's
     * {@code /dev/cordon}): a new table, recording to the same trail.
     *
     * @throws IllegalArgumentException if the mount point is the root or already taken
     */
    public VirtualFileSystem withMount(String mountPoint, FileTree tree) {
        Builder b = builder().audit(audit);
        mounts.forEach((point, t) -> b.mount(point.toString(), t));
        return b.mount(mountPoint, tree).build();
    }

    /** The tree mounted at {@code mountPoint}, or null. */
    public FileTree tree(VirtualPath mountPoint) {
        return mounts.get(mountPoint);
    }

    /** The mount points, deepest first. */
    public Set<VirtualPath> mountPoints() {
        return mounts.keySet();
    }

    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        Located at = locate(path);
        if (at == null) {
            return syntheticDirectory(path);
        }
        try {
            FileAttributes a = at.tree.attributes(at.relative, followLinks);
            return at.tree.guestOwned() ? a.ownedBy(ownerUid, ownerGid) : a;
        } catch (FileSystemException e) {
            throw rethrow(e, path, at);
        }
    }

    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        Located at = locate(path);
        if (at == null) {
            if (OpenOptions.mutates(options) && (isSynthetic(path) || isSynthetic(path.parent()))) {
                // Creating a file next to the mount points, as in "/evil": the directory is not writable.
                throw deny("open", path, "read-only file system");
            }
            syntheticDirectory(path);
            throw new FileSystemException(path.toString(), null, "Is a directory");
        }
        if (OpenOptions.mutates(options) && !at.tree.writable()) {
            throw deny("open", path, "read-only file system");
        }
        try {
            return openFiles.track(at.tree.open(at.relative, options));
        } catch (FileSystemException e) {
            throw rethrow(e, path, at);
        }
    }

    /**
     * Closes every file opened through this filesystem that is still open, as a process's exit does: called
     * when the call ends, before its caller has the answer, so that what it wrote is saved on every store.
     *
     * @throws IOException the first close that failed (a commit over the quota, a store that failed), once all
     *                     were closed
     */
    public void closeOpenFiles() throws IOException {
        openFiles.closeAll();
    }

    public List<String> list(VirtualPath directory) throws IOException {
        Located at = locate(directory);
        if (at == null) {
            syntheticDirectory(directory);
            Set<String> names = new TreeSet<>();
            for (VirtualPath point : mounts.keySet()) {
                if (point.startsWith(directory) && !point.equals(directory)) {
                    names.add(point.segments().get(directory.depth()));
                }
            }
            return new ArrayList<>(names);
        }
        try {
            return at.tree.list(at.relative);
        } catch (FileSystemException e) {
            throw rethrow(e, directory, at);
        }
    }

    /** {@code path} with every symbolic link on the way resolved, as {@code realpath(3)} gives it. */
    public VirtualPath realPath(VirtualPath path) throws IOException {
        Located at = locate(path);
        if (at == null) {
            syntheticDirectory(path);
            return path;
        }
        try {
            return at.tree.realPath(at.relative).under(at.mountPoint);
        } catch (FileSystemException e) {
            throw rethrow(e, path, at);
        }
    }

    public void createDirectory(VirtualPath path) throws IOException {
        change("mkdir", path, FileTree::createDirectory);
    }

    public void delete(VirtualPath path) throws IOException {
        change("delete", path, FileTree::delete);
    }

    public void move(VirtualPath from, VirtualPath to, boolean replaceExisting) throws IOException {
        Located source = writableLocation("rename", from);
        Located target = writableLocation("rename", to);
        if (source.tree != target.tree) {
            audit.denied("fs", "rename", from + " -> " + to, "crosses mounts");
            throw new FileSystemException(from.toString(), to.toString(), "Cross-device link");
        }
        try {
            source.tree.move(source.relative, target.relative, replaceExisting);
        } catch (FileSystemException e) {
            throw rethrow(e, from, source);
        }
    }

    /**
     * Creates a symbolic link. Its target must resolve, lexically from the link's directory, inside the
     * tree that holds the link; anything else is refused with {@code EPERM} rather than left dangling out of
     * the sandbox. The tree receives a relative target as written when it stays within the tree on its own,
     * and an absolute target in the tree's coordinates.
     */
    public void createSymbolicLink(VirtualPath link, String target) throws IOException {
        Located at = writableLocation("symlink", link);
        if (target.isEmpty()) {
            throw new NoSuchFileException(link.toString(), null, "empty link target");
        }
        String inTree = null;
        if (!target.startsWith("/") && HostTree.climbWithin(at.relative.parent(), target) != null) {
            inTree = target;
        } else {
            VirtualPath absolute = link.parent().resolve(target);
            if (absolute.startsWith(at.mountPoint)) {
                inTree = absolute.relativeTo(at.mountPoint).toString();
            }
        }
        if (inTree == null) {
            audit.denied("fs", "symlink", link + " -> " + target, "target outside " + at.mountPoint);
            throw new FileSystemException(link.toString(), null, "Operation not permitted");
        }
        try {
            at.tree.createSymbolicLink(at.relative, inTree);
        } catch (FileSystemException e) {
            throw rethrow(e, link, at);
        }
    }

    public String readSymbolicLink(VirtualPath link) throws IOException {
        Located at = locate(link);
        if (at == null) {
            syntheticDirectory(link);
            throw new NotLinkException(link.toString());
        }
        try {
            String target = at.tree.readSymbolicLink(at.relative);
            // Trees answer in their own coordinates; absolute answers are re-rooted at the mount point.
            return target.startsWith("/") ? VirtualPath.of(target).under(at.mountPoint).toString() : target;
        } catch (FileSystemException e) {
            throw rethrow(e, link, at);
        }
    }

    /**
     * Whether {@code path} lies in a writable tree: what {@code access(W_OK)} asks. Asking changes nothing
     * and records nothing; the path need not exist.
     */
    public boolean isWritable(VirtualPath path) {
        Located at = locate(path);
        return at != null && at.tree.writable();
    }

    /**
     * The space of the store holding {@code path}, which must exist, after its links are followed, as
     * {@code statvfs(2)} reports it: a writable tree's quota, or a full read-only store ({@link StoreSpace}).
     */
    public StoreSpace space(VirtualPath path) throws IOException {
        VirtualPath real = realPath(path);
        Located at = locate(real);
        if (at == null) {
            return StoreSpace.READ_ONLY;
        }
        try {
            return at.tree.space();
        } catch (FileSystemException e) {
            throw rethrow(e, path, at);
        }
    }

    public void setTimes(VirtualPath path, FileTime lastModified, FileTime lastAccess) throws IOException {
        change("utime", path, (tree, relative) -> tree.setTimes(relative, lastModified, lastAccess));
    }

    public void setMode(VirtualPath path, int mode) throws IOException {
        change("chmod", path, (tree, relative) -> tree.setMode(relative, mode));
    }

    /** A change applied to one tree, in the tree's own coordinates. */
    @FunctionalInterface
    private interface TreeChange {
        void apply(FileTree tree, VirtualPath relative) throws IOException;
    }

    /** Applies a change where the path is writable, and refuses it (audited) where it is not. */
    private void change(String action, VirtualPath path, TreeChange change) throws IOException {
        Located at = writableLocation(action, path);
        try {
            change.apply(at.tree, at.relative);
        } catch (FileSystemException e) {
            throw rethrow(e, path, at);
        }
    }

    private record Located(VirtualPath mountPoint, FileTree tree, VirtualPath relative) {
    }

    /** The mount holding {@code path}, or null when there is none (then it may be synthetic). */
    private Located locate(VirtualPath path) {
        for (Map.Entry<VirtualPath, FileTree> e : mounts.entrySet()) {
            if (path.startsWith(e.getKey())) {
                return new Located(e.getKey(), e.getValue(), path.relativeTo(e.getKey()));
            }
        }
        return null;
    }

    private Located writableLocation(String action, VirtualPath path) throws IOException {
        Located at = locate(path);
        if (at == null) {
            if (isSynthetic(path) || isSynthetic(path.parent())) {
                throw deny(action, path, "read-only file system");
            }
            throw new NoSuchFileException(path.toString());
        }
        if (!at.tree.writable()) {
            throw deny(action, path, "read-only file system");
        }
        return at;
    }

    private boolean isSynthetic(VirtualPath path) {
        for (VirtualPath point : mounts.keySet()) {
            if (point.startsWith(path) && !point.equals(path)) {
                return true;
            }
        }
        return false;
    }

    private FileAttributes syntheticDirectory(VirtualPath path) throws NoSuchFileException {
        if (!isSynthetic(path)) {
            throw new NoSuchFileException(path.toString());
        }
        return new FileAttributes(FileAttributes.Type.DIRECTORY, 4096, 0555, syntheticTime, syntheticTime,
                syntheticTime, Devices.inode(path), syntheticDevice, 2, 0, 0);
    }

    private AccessDeniedException deny(String action, VirtualPath path, String reason) {
        audit.denied("fs", action, path.toString(), reason);
        return new AccessDeniedException(path.toString(), null, reason);
    }

    /** The tree's exception again, naming the full virtual path instead of the tree-relative one. */
    private FileSystemException rethrow(FileSystemException e, VirtualPath path, Located at) {
        String file = path.toString();
        String other = e.getOtherFile() == null ? null
                : VirtualPath.of(e.getOtherFile()).under(at.mountPoint).toString();
        FileSystemException result;
        if (e instanceof NoSuchFileException) {
            result = new NoSuchFileException(file, other, e.getReason());
        } else if (e instanceof AccessDeniedException) {
            audit.denied("fs", "access", file, String.valueOf(e.getReason()));
            result = new AccessDeniedException(file, other, e.getReason());
        } else if (e instanceof FileAlreadyExistsException) {
            result = new FileAlreadyExistsException(file, other, e.getReason());
        } else if (e instanceof DirectoryNotEmptyException) {
            result = new DirectoryNotEmptyException(file);
        } else if (e instanceof NotDirectoryException) {
            result = new NotDirectoryException(file);
        } else if (e instanceof NotLinkException) {
            result = new NotLinkException(file, other, e.getReason());
        } else if (e instanceof FileSystemLoopException) {
            result = new FileSystemLoopException(file);
        } else {
            result = new FileSystemException(file, other, e.getReason());
        }
        return result;
    }
}
