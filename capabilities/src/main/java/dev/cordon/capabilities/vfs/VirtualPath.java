package dev.cordon.capabilities.vfs;

import java.nio.file.InvalidPathException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An absolute path on the guest's virtual tree, normalised lexically as POSIX does: empty and {@code .}
 * segments vanish, {@code ..} removes the segment before it and stays at the root when there is none.
 * So {@code /tmp/../etc} is {@code /etc}, which is not {@code /tmp}: resolution never consults the host.
 * Names are kept as exact code points: no case folding and no Unicode normalisation, so that two names
 * that differ are two files. A NUL character is refused.
 */
public final class VirtualPath implements Comparable<VirtualPath> {

    /** The root, {@code /}. */
    public static final VirtualPath ROOT = new VirtualPath(List.of());

    private final List<String> segments;

    private VirtualPath(List<String> segments) {
        this.segments = segments;
    }

    /**
     * Parses an absolute path, or a relative one against the root.
     *
     * @throws InvalidPathException if the path contains a NUL character
     */
    public static VirtualPath of(String path) {
        return ROOT.resolve(path);
    }

    /**
     * Resolves {@code path} against this path as a directory: an absolute {@code path} replaces it.
     *
     * @throws InvalidPathException if the path contains a NUL character
     */
    public VirtualPath resolve(String path) {
        if (path.indexOf('\0') >= 0) {
            throw new InvalidPathException(path.replace('\0', '?'), "embedded NUL character");
        }
        List<String> result = path.startsWith("/") ? new ArrayList<>() : new ArrayList<>(segments);
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (!result.isEmpty()) {
                    result.remove(result.size() - 1);
                }
            } else {
                result.add(segment);
            }
        }
        return new VirtualPath(Collections.unmodifiableList(result));
    }

    /** The segments from the root, none for the root itself. */
    public List<String> segments() {
        return segments;
    }

    public boolean isRoot() {
        return segments.isEmpty();
    }

    /** The last segment, or the empty string for the root. */
    public String fileName() {
        return segments.isEmpty() ? "" : segments.get(segments.size() - 1);
    }

    /** The parent directory; the root is its own parent. */
    public VirtualPath parent() {
        return segments.isEmpty() ? this : new VirtualPath(segments.subList(0, segments.size() - 1));
    }

    /** This path with one more segment, which must be a plain name. */
    public VirtualPath child(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file name: " + name.replace('\0', '?'));
        }
        List<String> result = new ArrayList<>(segments);
        result.add(name);
        return new VirtualPath(Collections.unmodifiableList(result));
    }

    /** Whether {@code prefix} is this path or one of its ancestors. */
    public boolean startsWith(VirtualPath prefix) {
        return segments.size() >= prefix.segments.size()
                && segments.subList(0, prefix.segments.size()).equals(prefix.segments);
    }

    /**
     * This path seen from {@code ancestor}, as an absolute path whose root is {@code ancestor}:
     * {@code /usr/lib/x} relative to {@code /usr} is {@code /lib/x}.
     */
    public VirtualPath relativeTo(VirtualPath ancestor) {
        if (!startsWith(ancestor)) {
            throw new IllegalArgumentException(this + " is not under " + ancestor);
        }
        return new VirtualPath(segments.subList(ancestor.segments.size(), segments.size()));
    }

    /** The inverse of {@link #relativeTo}: {@code /lib/x} under {@code /usr} is {@code /usr/lib/x}. */
    public VirtualPath under(VirtualPath ancestor) {
        List<String> result = new ArrayList<>(ancestor.segments);
        result.addAll(segments);
        return new VirtualPath(Collections.unmodifiableList(result));
    }

    public int depth() {
        return segments.size();
    }

    @Override
    public int compareTo(VirtualPath o) {
        return toString().compareTo(o.toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VirtualPath p && p.segments.equals(segments);
    }

    @Override
    public int hashCode() {
        return segments.hashCode();
    }

    @Override
    public String toString() {
        return segments.isEmpty() ? "/" : "/" + String.join("/", segments);
    }
}
