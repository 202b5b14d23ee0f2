package dev.cordon.capabilities;

/**
 * How much one principal may keep in its writable {@code /tmp}: the sum of the sizes of its files, and the
 * number of its files, directories and symbolic links together. Going over either bound raises
 * an {@code OSError} with errno {@code EDQUOT} in the guest, as a disk quota would.
 *
 * @param maxBytes the most bytes all files may hold together
 * @param maxEntries the most files, directories and links there may be
 */
public record Quota(long maxBytes, long maxEntries) {

    /** 64 MiB in at most 10,000 entries. */
    public static final Quota DEFAULT = new Quota(64L << 20, 10_000);

    public Quota {
        if (maxBytes < 0 || maxEntries < 0) {
            throw new IllegalArgumentException("a quota cannot be negative");
        }
    }
}
