package dev.cordon.engine.pypy;

import dev.cordon.capabilities.vfs.FileAttributes;
import dev.cordon.capabilities.vfs.FileTree;
import dev.cordon.capabilities.vfs.VirtualPath;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The directory holding the interpreter's executable as the interpreter sees it: one empty, executable
 * file. PyPy finds its standard library by walking up from its executable's path, so the file must exist
 * and be executable; its contents are never read, and nothing of the host's binary is shown.
 */
final class InterpreterTree implements FileTree {

    private final String name;
    private final FileTime time = FileTime.from(Instant.EPOCH);

    InterpreterTree(String name) {
        this.name = name;
    }

    @Override
    public boolean writable() {
        return false;
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        if (path.isRoot()) {
            return new FileAttributes(FileAttributes.Type.DIRECTORY, 4096, 0555, time, time, time, 1, 0, 2, 0, 0);
        }
        check(path);
        return new FileAttributes(FileAttributes.Type.FILE, 0, 0555, time, time, time, 2, 0, 1, 0, 0);
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        if (path.isRoot()) {
            throw FileTree.readOnly(path);
        }
        check(path);
        return new dev.cordon.capabilities.vfs.ByteArrayChannel(new byte[0]);
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        if (!directory.isRoot()) {
            check(directory);
            throw new NotDirectoryException(directory.toString());
        }
        return List.of(name);
    }

    private void check(VirtualPath path) throws NoSuchFileException {
        if (path.depth() != 1 || !path.fileName().equals(name)) {
            throw new NoSuchFileException(path.toString());
        }
    }
}
