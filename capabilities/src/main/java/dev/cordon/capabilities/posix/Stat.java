package dev.cordon.capabilities.posix;

import dev.cordon.capabilities.vfs.FileAttributes;

/**
 * What {@code stat} reports of a virtual file, in the units of {@code struct stat}: times in seconds since
 * the epoch (with their nanoseconds apart), the mode with its file-type bits.
 */
public record Stat(int mode, long inode, long device, long links, int uid, int gid, long size, long blockSize,
                   long atimeSeconds, long atimeNanos, long mtimeSeconds, long mtimeNanos,
                   long ctimeSeconds, long ctimeNanos) {

    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;

    static Stat of(FileAttributes a) {
        long at = a.lastAccess().toMillis();
        long mt = a.lastModified().toMillis();
        long ct = a.created().toMillis();
        return new Stat(a.fullMode(), a.inode(), a.device(), a.links(), a.uid(), a.gid(), a.size(), 4096,
                Math.floorDiv(at, 1000), Math.floorMod(at, 1000) * 1_000_000L,
                Math.floorDiv(mt, 1000), Math.floorMod(mt, 1000) * 1_000_000L,
                Math.floorDiv(ct, 1000), Math.floorMod(ct, 1000) * 1_000_000L);
    }

    /** The status of one of the standard streams: a pipe owned by the virtual user. */
    static Stat pipe(int fd, int uid, int gid) {
        return new Stat(S_IFIFO | 0600, 10 + fd, 0, 1, uid, gid, 0, 4096, 0, 0, 0, 0, 0, 0);
    }

    public boolean isDirectory() {
        return (mode & 0170000) == 0040000;
    }
}
