package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;

/**
 * How every tree resolves a path: one name at a time, following symbolic links itself (never the host's
 * kernel), at most {@value #MAX_LINK_HOPS} of them, and never out of the tree. The tree says what each entry
 * is and where a link leads; a link that would leave the tree behaves as a missing file.
 */
final class LinkWalk {

    static final int MAX_LINK_HOPS = 40;

    /** What a walk needs to know of one tree. */
    interface Entries {
        /** The kind of the entry at {@code path} itself (a link not followed), or null when there is none. */
        FileAttributes.Type kind(VirtualPath path) throws IOException;

        /**
         * Where the link at {@code link} (in {@code directory}) leads, as a path inside the tree, or null when
         * it leads out of it.
         */
        VirtualPath target(VirtualPath directory, VirtualPath link) throws IOException;
    }

    private LinkWalk() {
    }

    /**
     * Resolves every symbolic link on the way to {@code path} (and the last one too when {@code followLast}).
     * With {@code missingLastOk}, a last name that does not exist (directly or as the target of a last link)
     * is returned as is, for creating it.
     */
    static VirtualPath resolve(VirtualPath path, boolean followLast, boolean missingLastOk, Entries entries)
            throws IOException {
        VirtualPath current = VirtualPath.ROOT;
        List<String> pending = new ArrayList<>(path.segments());
        int hops = 0;
        while (!pending.isEmpty()) {
            String name = pending.remove(0);
            VirtualPath next = current.child(name);
            FileAttributes.Type kind = entries.kind(next);
            boolean last = pending.isEmpty();
            if (kind == null) {
                if (last && missingLastOk) {
                    return next;
                }
                throw new NoSuchFileException(path.toString());
            }
            if (kind == FileAttributes.Type.SYMLINK && (!last || followLast)) {
                if (++hops > MAX_LINK_HOPS) {
                    throw new FileSystemLoopException(path.toString());
                }
                VirtualPath target = entries.target(current, next);
                if (target == null) {
                    throw new NoSuchFileException(path.toString());
                }
                List<String> rest = new ArrayList<>(target.segments());
                rest.addAll(pending);
                pending = rest;
                current = VirtualPath.ROOT;
            } else {
                if (!last && kind != FileAttributes.Type.DIRECTORY) {
                    throw new NotDirectoryException(path.toString());
                }
                current = next;
            }
        }
        return current;
    }

    /**
     * Where a guest's link leads in a writable tree: its target as written, absolute ones in the tree's own
     * coordinates; null when its {@code ..}s climb above the root.
     */
    static VirtualPath guestTarget(VirtualPath directory, String target) {
        return target.startsWith("/") ? VirtualPath.of(target) : climbWithin(directory, target);
    }

    /** {@code relative} resolved against {@code directory}, or null when its {@code ..}s climb above the root. */
    static VirtualPath climbWithin(VirtualPath directory, String relative) {
        List<String> segments = new ArrayList<>(directory.segments());
        for (String s : relative.split("/", -1)) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (segments.isEmpty()) {
                    return null;
                }
                segments.remove(segments.size() - 1);
            } else {
                segments.add(s);
            }
        }
        VirtualPath result = VirtualPath.ROOT;
        for (String s : segments) {
            result = result.child(s);
        }
        return result;
    }
}
