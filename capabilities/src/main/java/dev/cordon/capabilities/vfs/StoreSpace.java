package dev.cordon.capabilities.vfs;

/**
 * The space of the store a tree keeps its files on, as {@code os.statvfs} and {@code shutil.disk_usage}
 * report it: never the host's disk. A writable tree answers from its quota (its size is the quota, its free
 * space what the quota leaves); a read-only tree is a full store of one block with nothing free, as a
 * read-only medium reports itself.
 *
 * @param totalBytes the store's size
 * @param freeBytes  what the guest may still write there
 */
public record StoreSpace(long totalBytes, long freeBytes) {

    /** The block size every store reports. */
    public static final int BLOCK_SIZE = 4096;

    /** What a read-only tree reports. */
    public static final StoreSpace READ_ONLY = new StoreSpace(BLOCK_SIZE, 0);

    public StoreSpace {
        if (totalBytes < 0 || freeBytes < 0 || freeBytes > totalBytes) {
            throw new IllegalArgumentException("a store of " + totalBytes + " bytes with " + freeBytes + " free");
        }
    }

    /** A tree held to {@code maxBytes} that holds {@code usedBytes} now. */
    public static StoreSpace ofQuota(long maxBytes, long usedBytes) {
        return new StoreSpace(maxBytes, Math.max(0, maxBytes - Math.max(0, usedBytes)));
    }
}
