package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Quota;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * What one writable tree holds against its {@link Quota}, and the lock that orders the calls sharing it.
 * All concurrent calls of one principal share one ledger, so their usage adds up and a rename in one can
 * never interleave with a path lookup in the other.
 *
 * <p>Usage is counted once from the host directory when the ledger is created, then kept up to date by
 * every change. Another process writing to the same directory is not seen until the next count.
 */
final class QuotaLedger {

    /**
     * The reason that names {@code EDQUOT}: GraalPy maps a {@code FileSystemException} to an errno by
     * the text of its reason, and this is its text for EDQUOT.
     */
    static final String EXCEEDED = "Quota exceeded";

    private final Quota quota;
    private final ReadWriteLock structure = new ReentrantReadWriteLock();
    private long bytes;
    private long entries;

    QuotaLedger(Quota quota, Path root) throws IOException {
        this.quota = quota;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(root)) {
                    entries++;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                entries++;
                if (attrs.isRegularFile()) {
                    bytes += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                entries++;
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Held while a path is looked up and used; many at once. */
    ReadWriteLock structure() {
        return structure;
    }

    synchronized void reserveEntry(VirtualPath path) throws FileSystemException {
        if (entries + 1 > quota.maxEntries()) {
            throw exceeded(path);
        }
        entries++;
    }

    synchronized void releaseEntry(long sizeOfFile) {
        entries = Math.max(0, entries - 1);
        bytes = Math.max(0, bytes - sizeOfFile);
    }

    synchronized void reserveBytes(VirtualPath path, long delta) throws FileSystemException {
        if (delta > 0 && bytes + delta > quota.maxBytes()) {
            throw exceeded(path);
        }
        bytes = Math.max(0, bytes + delta);
    }

    synchronized void releaseBytes(long delta) {
        bytes = Math.max(0, bytes - delta);
    }

    Quota quota() {
        return quota;
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long entries() {
        return entries;
    }

    /** The refusal, naming {@code path}, or no file when null (as {@code write(2)} names none). */
    static FileSystemException exceeded(VirtualPath path) {
        return new FileSystemException(path == null ? null : path.toString(), null, EXCEEDED);
    }
}
