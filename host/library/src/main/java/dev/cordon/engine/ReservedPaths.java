package dev.cordon.engine;

import dev.cordon.capabilities.vfs.VirtualPath;

import java.util.List;

/**
 * The virtual paths a sandbox's own layout holds, whichever backend runs it: the interpreters' libraries and
 * the guest stdlib under {@code /usr/lib} (and {@code /pypy} for the PyPy backend), the devices under
 * {@code /dev}, and the principal's {@code /tmp}. A host mount may neither hide one of them nor sit inside one.
 * Every engine's {@link Engine#baseFileSystem()} mounts only below these (a test holds each engine to it).
 */
public final class ReservedPaths {

    /** The reserved roots. */
    public static final List<VirtualPath> ROOTS = List.of(VirtualPath.of("/usr/lib"), VirtualPath.of("/dev"),
            VirtualPath.of("/tmp"), VirtualPath.of("/pypy"));

    private ReservedPaths() {
    }

    /** Whether a mount at {@code mountPoint} would hide a reserved path or sit inside one (the root does both). */
    public static boolean isReserved(VirtualPath mountPoint) {
        for (VirtualPath own : ROOTS) {
            if (own.startsWith(mountPoint) || mountPoint.startsWith(own)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a path lies inside the reserved layout (where an engine may mount its own trees). */
    public static boolean holds(VirtualPath path) {
        for (VirtualPath own : ROOTS) {
            if (path.startsWith(own)) {
                return true;
            }
        }
        return false;
    }
}
