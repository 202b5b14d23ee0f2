package dev.cordon.capabilities.vfs;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A read-only tree held in memory, built once from a map of relative paths to contents. Directories are
 * implied by the files under them. Used for the guest stdlib, which ships inside a jar.
 */
public final class MemoryTree implements FileTree {

    private final Map<VirtualPath, byte[]> files = new TreeMap<>();
    private final Map<VirtualPath, Set<String>> directories = new TreeMap<>();
    private final FileTime time;
    private final long device;

    /**
     * @param files contents by path relative to the tree's root ({@code "cordon/__init__.py"})
     * @param time  the time every entry reports
     */
    public MemoryTree(Map<String, byte[]> files, Instant time) {
        this.time = FileTime.from(time);
        this.device = Devices.next();
        directories.put(VirtualPath.ROOT, new TreeSet<>());
        files.forEach((name, content) -> {
            VirtualPath path = VirtualPath.of(name);
            if (path.isRoot()) {
                throw new IllegalArgumentException("a file cannot be the root: " + name);
            }
            this.files.put(path, content.clone());
            for (VirtualPath p = path; !p.isRoot(); p = p.parent()) {
                directories.computeIfAbsent(p.parent(), k -> new TreeSet<>()).add(p.fileName());
            }
        });
        for (VirtualPath file : this.files.keySet()) {
            if (directories.containsKey(file)) {
                throw new IllegalArgumentException("both a file and a directory: " + file);
            }
        }
    }

    @Override
    public boolean writable() {
        return false;
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        byte[] content = files.get(path);
        if (content != null) {
            return new FileAttributes(FileAttributes.Type.FILE, content.length, 0444, time, time, time,
                    Devices.inode(path), device, 1, 0, 0);
        }
        Set<String> children = directories.get(path);
        if (children != null) {
            return new FileAttributes(FileAttributes.Type.DIRECTORY, 4096, 0555, time, time, time,
                    Devices.inode(path), device, 2, 0, 0);
        }
        throw new NoSuchFileException(path.toString());
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        byte[] content = files.get(path);
        if (content == null) {
            if (directories.containsKey(path)) {
                throw new FileSystemException(path.toString(), null, "Is a directory");
            }
            throw new NoSuchFileException(path.toString());
        }
        if (OpenOptions.mutates(options)) {
            throw FileTree.readOnly(path);
        }
        return new ByteArrayChannel(content);
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        Set<String> children = directories.get(directory);
        if (children == null) {
            if (files.containsKey(directory)) {
                throw new NotDirectoryException(directory.toString());
            }
            throw new NoSuchFileException(directory.toString());
        }
        return new ArrayList<>(children);
    }
}
