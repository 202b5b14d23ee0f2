package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.AuditTrail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualFileSystemTest {

    private final AuditTrail audit = new AuditTrail();

    private VirtualFileSystem fs(Path hostDir) {
        return VirtualFileSystem.builder().audit(audit)
                .mount("/usr/lib/cordon", new MemoryTree(Map.of("cordon/__init__.py", "x = 1\n".getBytes()), Instant.EPOCH))
                .mount("/data", new HostTree(hostDir))
                .build();
    }

    private static String read(VirtualFileSystem fs, String path) throws Exception {
        try (SeekableByteChannel ch = fs.open(VirtualPath.of(path), Set.of(StandardOpenOption.READ))) {
            ByteBuffer b = ByteBuffer.allocate((int) ch.size());
            while (b.hasRemaining() && ch.read(b) > 0) {
                // read all
            }
            return new String(b.array(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void ancestorsOfMountsAreSyntheticReadOnlyDirectories(@TempDir Path dir) throws Exception {
        VirtualFileSystem fs = fs(dir);
        assertThat(fs.list(VirtualPath.ROOT)).containsExactly("data", "usr");
        assertThat(fs.list(VirtualPath.of("/usr"))).containsExactly("lib");
        assertThat(fs.attributes(VirtualPath.of("/usr/lib"), true).isDirectory()).isTrue();
        assertThatThrownBy(() -> fs.createDirectory(VirtualPath.of("/evil"))).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> fs.attributes(VirtualPath.of("/etc"), true)).isInstanceOf(NoSuchFileException.class);
        assertThat(audit.events()).anySatisfy(e -> assertThat(e.outcome()).isEqualTo(AuditEvent.Outcome.DENIED));
    }

    @Test
    void memoryTreesServeTheirFilesReadOnly(@TempDir Path dir) throws Exception {
        VirtualFileSystem fs = fs(dir);
        assertThat(read(fs, "/usr/lib/cordon/cordon/__init__.py")).isEqualTo("x = 1\n");
        assertThat(fs.attributes(VirtualPath.of("/usr/lib/cordon/cordon/__init__.py"), true).mode()).isEqualTo(0444);
        assertThatThrownBy(() -> fs.open(VirtualPath.of("/usr/lib/cordon/cordon/__init__.py"), Set.of(StandardOpenOption.WRITE)))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> fs.delete(VirtualPath.of("/usr/lib/cordon/cordon/__init__.py")))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void hostTreesAreReadOnlyAndNameOnlyVirtualPaths(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.txt"), "hello");
        VirtualFileSystem fs = fs(dir);
        assertThat(read(fs, "/data/a.txt")).isEqualTo("hello");
        assertThat(read(fs, "/data/../data/./a.txt")).isEqualTo("hello");
        assertThat(fs.attributes(VirtualPath.of("/data/a.txt"), true).mode() & 0222).isZero();
        assertThatThrownBy(() -> fs.open(VirtualPath.of("/data/a.txt"), Set.of(StandardOpenOption.APPEND)))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> fs.open(VirtualPath.of("/data/missing"), Set.of(StandardOpenOption.READ)))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessage("/data/missing")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(dir.toString()));
        assertThat(Files.readString(dir.resolve("a.txt"))).isEqualTo("hello");
    }

    @Test
    void hostSymlinksAreFollowedInsideTheTreeOnly(@TempDir Path dir, @TempDir Path outside) throws Exception {
        Files.writeString(outside.resolve("secret"), "host secret");
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/inner.txt"), "inner");
        Files.createSymbolicLink(dir.resolve("escape"), outside);
        Files.createSymbolicLink(dir.resolve("escape-file"), outside.resolve("secret"));
        Files.createSymbolicLink(dir.resolve("relative-escape"), Path.of("../" + outside.getFileName() + "/secret"));
        Files.createSymbolicLink(dir.resolve("inside"), Path.of("sub/inner.txt"));
        Files.createSymbolicLink(dir.resolve("loop"), Path.of("loop"));
        VirtualFileSystem fs = fs(dir);
        assertThat(read(fs, "/data/inside")).isEqualTo("inner");
        assertThat(fs.readSymbolicLink(VirtualPath.of("/data/inside"))).isEqualTo("/data/sub/inner.txt");
        for (String escape : new String[] {"/data/escape/secret", "/data/escape-file", "/data/relative-escape"}) {
            assertThatThrownBy(() -> read(fs, escape)).as(escape).isInstanceOf(NoSuchFileException.class);
        }
        assertThat(fs.attributes(VirtualPath.of("/data/escape-file"), false).isSymbolicLink()).isTrue();
        assertThatThrownBy(() -> read(fs, "/data/loop")).isInstanceOf(java.nio.file.FileSystemException.class);
    }

    @Test
    void mountPointsMustBeDistinctAndNotTheRoot(@TempDir Path dir) {
        assertThatThrownBy(() -> VirtualFileSystem.builder().mount("/", new HostTree(dir)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VirtualFileSystem.builder().mount("/a", new HostTree(dir)).mount("/a/", new HostTree(dir)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
