package dev.cordon.capabilities.vfs;

import java.util.concurrent.atomic.AtomicLong;

/** Virtual device and inode numbers: stable per path, unrelated to the host's. */
final class Devices {

    private static final AtomicLong NEXT_DEVICE = new AtomicLong(1);

    private Devices() {
    }

    static long next() {
        return NEXT_DEVICE.getAndIncrement();
    }

    /** A positive inode number derived from the path, the same in every run. */
    static long inode(VirtualPath path) {
        long h = 1125899906842597L;
        for (char c : path.toString().toCharArray()) {
            h = 31 * h + c;
        }
        return (h & Long.MAX_VALUE) | 1;
    }
}
