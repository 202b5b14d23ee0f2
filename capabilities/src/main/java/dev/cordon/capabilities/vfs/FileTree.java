package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;

/**
 * A tree of files mounted somewhere in the virtual filesystem. Paths given to a tree are relative to its
 * own root, written as absolute {@link VirtualPath}s ({@code /} is the tree's root). Errors are the
 * {@code java.nio.file} exceptions a real filesystem throws ({@code NoSuchFileException},
 * {@code AccessDeniedException}, ...) so that each backend can turn them into the errno a real OS gives;
 * their messages name virtual paths only, never a host path.
 *
 * <p>The default implementations of the mutating operations refuse, as a read-only tree does.
 */
public interface FileTree {

    /** Whether the guest may change this tree. */
    boolean writable();

    /** Whether what this tree holds is the guest user's own (its files), rather than root's: a writable tree's. */
    default boolean guestOwned() {
        return writable();
    }

    /** {@code stat} (following a final symbolic link) or {@code lstat}. */
    FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException;

    /** Opens a file with the given {@code StandardOpenOption}s. */
    SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException;

    /** The names in a directory, in a stable order. */
    List<String> list(VirtualPath directory) throws IOException;

    /** The path with every symbolic link on the way resolved; it must exist. */
    default VirtualPath realPath(VirtualPath path) throws IOException {
        attributes(path, true);
        return path;
    }

    default void createDirectory(VirtualPath path) throws IOException {
        throw readOnly(path);
    }

    default void delete(VirtualPath path) throws IOException {
        throw readOnly(path);
    }

    /** Renames within this tree. */
    default void move(VirtualPath from, VirtualPath to, boolean replaceExisting) throws IOException {
        throw readOnly(from);
    }

    default void createSymbolicLink(VirtualPath link, String target) throws IOException {
        throw readOnly(link);
    }

    default String readSymbolicLink(VirtualPath link) throws IOException {
        throw new NotLinkException(link.toString());
    }

    default void setTimes(VirtualPath path, FileTime lastModified, FileTime lastAccess) throws IOException {
        throw readOnly(path);
    }

    default void setMode(VirtualPath path, int mode) throws IOException {
        throw readOnly(path);
    }

    /** The space of the store this tree is on ({@link StoreSpace}): by default a full, read-only one. */
    default StoreSpace space() throws IOException {
        return StoreSpace.READ_ONLY;
    }

    /** The error every refused change raises: {@code PermissionError} in the guest. */
    static AccessDeniedException readOnly(VirtualPath path) {
        return new AccessDeniedException(path.toString(), null, "read-only file system");
    }
}
