package dev.cordon.capabilities.vfs;

import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * What {@code stat} tells the guest about a file. Every field is virtual: the owner is the sandbox's
 * own identity, inode numbers are derived from the virtual path, and nothing reveals a host path.
 *
 * @param type         regular file, directory or symbolic link
 * @param size         size in bytes (for a link, the length of its target)
 * @param mode         the permission bits, such as {@code 0644}
 * @param lastModified modification time
 * @param lastAccess   access time
 * @param created      status-change / creation time
 * @param inode        a stable number for this file within its mount
 * @param device       a number per mount, as {@code st_dev}
 * @param links        the link count
 * @param uid          owner (virtual)
 * @param gid          group (virtual)
 */
public record FileAttributes(Type type, long size, int mode, FileTime lastModified, FileTime lastAccess,
                             FileTime created, long inode, long device, int links, int uid, int gid) {

    /** The same entry, owned by {@code uid} and {@code gid}. */
    public FileAttributes ownedBy(int uid, int gid) {
        return uid == this.uid && gid == this.gid ? this
                : new FileAttributes(type, size, mode, lastModified, lastAccess, created, inode, device, links, uid, gid);
    }

    /** The kinds of file the virtual tree holds. */
    public enum Type {
        FILE(0100000), DIRECTORY(0040000), SYMLINK(0120000);

        private final int modeBits;

        Type(int modeBits) {
            this.modeBits = modeBits;
        }

        /** The {@code S_IF*} bits of {@code st_mode}. */
        public int modeBits() {
            return modeBits;
        }
    }

    public FileAttributes {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(lastModified, "lastModified");
        Objects.requireNonNull(lastAccess, "lastAccess");
        Objects.requireNonNull(created, "created");
    }

    public boolean isDirectory() {
        return type == Type.DIRECTORY;
    }

    public boolean isRegularFile() {
        return type == Type.FILE;
    }

    public boolean isSymbolicLink() {
        return type == Type.SYMLINK;
    }

    /** {@code st_mode}: the type bits and the permission bits. */
    public int fullMode() {
        return type.modeBits | (mode & 07777);
    }
}
