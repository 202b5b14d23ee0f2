package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.AuditTrail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A principal's /tmp at the level of the virtual filesystem, without any interpreter. */
class WritableTreeTest {

    @TempDir
    Path hostDir;
    Path tmpRoot;
    HostTree tmp;
    AuditTrail audit;
    VirtualFileSystem vfs;

    @BeforeEach
    void setUp() throws Exception {
        tmpRoot = Files.createDirectory(hostDir.resolve("tmp"));
        Files.writeString(hostDir.resolve("secret"), "host secret");
        tmp = HostTree.writable(tmpRoot, new Quota(1_000, 10));
        audit = new AuditTrail();
        vfs = VirtualFileSystem.builder().audit(audit).mount("/tmp", tmp).build();
    }

    private static VirtualPath p(String s) {
        return VirtualPath.of(s);
    }

    private void write(String path, String content, StandardOpenOption... options) throws Exception {
        try (SeekableByteChannel ch = vfs.open(p(path), Set.of(options))) {
            ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private String read(String path) throws Exception {
        try (SeekableByteChannel ch = vfs.open(p(path), Set.of(READ))) {
            ByteBuffer b = ByteBuffer.allocate(10_000);
            while (ch.read(b) > 0) {
                // keep reading
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aWriteOverTheByteQuotaFailsWholeAndRemovesTheFileItCreated() throws Exception {
        write("/tmp/small", "x".repeat(400), WRITE, CREATE);
        try (SeekableByteChannel ch = vfs.open(p("/tmp/big"), Set.of(WRITE, CREATE))) {
            ch.write(ByteBuffer.wrap(new byte[500]));
            assertThatThrownBy(() -> ch.write(ByteBuffer.wrap(new byte[200])))
                    .isInstanceOf(FileSystemException.class)
                    .satisfies(e -> assertThat(((FileSystemException) e).getReason()).isEqualTo("Quota exceeded"));
        }
        assertThat(vfs.list(p("/tmp"))).containsExactly("small");
        assertThat(tmp.usedBytes()).isEqualTo(400);
        assertThat(tmp.usedEntries()).isEqualTo(1);
    }

    @Test
    void anAppendOverTheQuotaLeavesTheFileAsItWas() throws Exception {
        write("/tmp/log", "first\n", WRITE, CREATE);
        try (SeekableByteChannel ch = vfs.open(p("/tmp/log"), Set.of(WRITE, APPEND))) {
            ch.write(ByteBuffer.wrap("second\n".getBytes(StandardCharsets.UTF_8)));
            assertThatThrownBy(() -> ch.write(ByteBuffer.wrap(new byte[2_000])))
                    .isInstanceOf(FileSystemException.class);
            assertThatThrownBy(() -> ch.write(ByteBuffer.wrap(new byte[1])))
                    .as("the descriptor stays refused").isInstanceOf(FileSystemException.class);
        }
        assertThat(read("/tmp/log")).isEqualTo("first\n");
        assertThat(tmp.usedBytes()).isEqualTo(6);
    }

    @Test
    void truncatingAndDeletingGiveSpaceBack() throws Exception {
        write("/tmp/a", "x".repeat(900), WRITE, CREATE);
        write("/tmp/a", "y".repeat(100), WRITE, TRUNCATE_EXISTING);
        assertThat(tmp.usedBytes()).isEqualTo(100);
        write("/tmp/b", "z".repeat(800), WRITE, CREATE);
        vfs.move(p("/tmp/b"), p("/tmp/a"), true);
        assertThat(tmp.usedBytes()).isEqualTo(800);
        assertThat(tmp.usedEntries()).isEqualTo(1);
        vfs.delete(p("/tmp/a"));
        assertThat(tmp.usedBytes()).isZero();
        assertThat(tmp.usedEntries()).isZero();
    }

    @Test
    void theStoreSpaceOfTmpIsItsQuotaAndOfEverythingElseAFullReadOnlyStore() throws Exception {
        assertThat(vfs.space(p("/tmp"))).isEqualTo(new StoreSpace(1_000, 1_000));
        write("/tmp/a", "x".repeat(300), WRITE, CREATE);
        vfs.createSymbolicLink(p("/tmp/link"), "a");
        assertThat(vfs.space(p("/tmp/link"))).isEqualTo(new StoreSpace(1_000, 700));
        // Outside every mount (the synthetic root), and a read-only mount: full, nothing free, never the host's disk.
        VirtualFileSystem withMount = vfs.withMount("/data", new HostTree(hostDir));
        assertThat(withMount.space(p("/"))).isEqualTo(StoreSpace.READ_ONLY);
        assertThat(withMount.space(p("/data/secret"))).isEqualTo(StoreSpace.READ_ONLY);
        assertThatThrownBy(() -> vfs.space(p("/tmp/missing"))).isInstanceOf(NoSuchFileException.class);
        vfs.delete(p("/tmp/a"));
        assertThat(vfs.space(p("/tmp")).freeBytes()).isEqualTo(1_000);
        assertThatThrownBy(() -> new StoreSpace(10, 11)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theEntryQuotaCountsFilesDirectoriesAndLinks() throws Exception {
        for (int i = 0; i < 5; i++) {
            vfs.createDirectory(p("/tmp/d" + i));
            write("/tmp/d" + i + "/f", "", WRITE, CREATE);
        }
        assertThatThrownBy(() -> vfs.createSymbolicLink(p("/tmp/l"), "d0"))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Quota exceeded");
        assertThatThrownBy(() -> vfs.createDirectory(p("/tmp/d9"))).hasMessageContaining("Quota exceeded");
        assertThatThrownBy(() -> write("/tmp/new", "", WRITE, CREATE)).hasMessageContaining("Quota exceeded");
        assertThat(vfs.list(p("/tmp"))).hasSize(5);
    }

    @Test
    void linksWhoseTargetLeavesTmpAreRefusedAndAudited() {
        for (String target : List.of("/etc/passwd", "../secret", "../../secret", "/tmp/../secret", "/",
                "/tmp/..", "..")) {
            assertThatThrownBy(() -> vfs.createSymbolicLink(p("/tmp/l"), target))
                    .as(target).isInstanceOf(FileSystemException.class)
                    .satisfies(e -> assertThat(((FileSystemException) e).getReason())
                            .isEqualTo("Operation not permitted"));
        }
        assertThat(audit.events()).filteredOn(e -> e.outcome() == AuditEvent.Outcome.DENIED).hasSize(7);
    }

    @Test
    void linksInsideTmpResolveAgainstTheirOwnDirectory() throws Exception {
        vfs.createDirectory(p("/tmp/a"));
        vfs.createDirectory(p("/tmp/a/b"));
        write("/tmp/a/b/f", "deep", WRITE, CREATE);
        vfs.createSymbolicLink(p("/tmp/a/rel"), "b/f");
        vfs.createSymbolicLink(p("/tmp/abs"), "/tmp/a/b");
        vfs.createSymbolicLink(p("/tmp/a/b/up"), "../../a/b/f");
        assertThat(read("/tmp/a/rel")).isEqualTo("deep");
        assertThat(read("/tmp/abs/f")).isEqualTo("deep");
        assertThat(read("/tmp/a/b/up")).isEqualTo("deep");
        assertThat(vfs.readSymbolicLink(p("/tmp/abs"))).isEqualTo("/tmp/a/b");
        assertThat(vfs.readSymbolicLink(p("/tmp/a/rel"))).isEqualTo("b/f");
        assertThat(vfs.realPath(p("/tmp/abs/f"))).isEqualTo(p("/tmp/a/b/f"));
        // On the host the absolute link is stored in the tree's coordinates, not as a host path.
        assertThat(Files.readSymbolicLink(tmpRoot.resolve("abs")).toString()).isEqualTo("/a/b");
    }

    @Test
    void aLinkMovedSoThatItClimbsOutIsNeverFollowed() throws Exception {
        vfs.createDirectory(p("/tmp/a"));
        vfs.createSymbolicLink(p("/tmp/a/l"), "../x");
        vfs.move(p("/tmp/a/l"), p("/tmp/l"), false);
        // From /tmp, "../x" would be the host's sibling of the tree; it dangles instead.
        Files.writeString(hostDir.resolve("x"), "outside");
        assertThatThrownBy(() -> read("/tmp/l")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> write("/tmp/l", "escape", WRITE, CREATE)).isInstanceOf(NoSuchFileException.class);
        assertThat(Files.readString(hostDir.resolve("x"))).isEqualTo("outside");
    }

    @Test
    void aHostLinkPlantedInTmpNeverReachesTheHost() throws Exception {
        Files.createSymbolicLink(tmpRoot.resolve("planted"), hostDir.resolve("secret"));
        Files.createSymbolicLink(tmpRoot.resolve("dir"), hostDir);
        assertThatThrownBy(() -> read("/tmp/planted")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> read("/tmp/dir/secret")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> write("/tmp/dir/new", "x", WRITE, CREATE)).isInstanceOf(NoSuchFileException.class);
        assertThat(hostDir.resolve("new")).doesNotExist();
    }

    @Test
    void loopsEndInEloop() throws Exception {
        vfs.createSymbolicLink(p("/tmp/a"), "b");
        vfs.createSymbolicLink(p("/tmp/b"), "a");
        assertThatThrownBy(() -> read("/tmp/a")).isInstanceOf(FileSystemLoopException.class);
    }

    @Test
    void errorsAreTheOnesARealFilesystemGives() throws Exception {
        vfs.createDirectory(p("/tmp/d"));
        write("/tmp/d/f", "x", WRITE, CREATE);
        assertThatThrownBy(() -> vfs.createDirectory(p("/tmp/d"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> vfs.createDirectory(p("/tmp"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> vfs.delete(p("/tmp/d"))).isInstanceOf(java.nio.file.DirectoryNotEmptyException.class);
        assertThatThrownBy(() -> vfs.delete(p("/tmp"))).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> vfs.move(p("/tmp/d"), p("/tmp/d/inside"), false))
                .hasMessageContaining("Invalid argument");
        assertThatThrownBy(() -> vfs.move(p("/tmp/d/f"), p("/elsewhere"), false)).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> vfs.createDirectory(p("/tmp/d/f/sub"))).isInstanceOf(java.nio.file.NotDirectoryException.class);
        assertThatThrownBy(() -> write("/tmp/" + "n".repeat(300), "x", WRITE, CREATE))
                .hasMessageContaining("File name too long").hasMessageNotContaining(hostDir.toString());
    }

    @Test
    void modesAreTheGuestsAndBindItEvenWhenTheHostIsRoot() throws Exception {
        write("/tmp/f", "x", WRITE, CREATE);
        vfs.setMode(p("/tmp/f"), 04755);
        assertThat(vfs.attributes(p("/tmp/f"), true).mode()).isEqualTo(0755);
        vfs.setMode(p("/tmp/f"), 0444);
        assertThatThrownBy(() -> write("/tmp/f", "y", WRITE)).isInstanceOf(AccessDeniedException.class);
        assertThat(read("/tmp/f")).isEqualTo("x");
    }

    @Test
    void concurrentWritersOfOnePrincipalNeitherCorruptNorMiscount() throws Exception {
        HostTree big = HostTree.writable(tmpRoot, new Quota(10_000_000, 1_000));
        VirtualFileSystem shared = VirtualFileSystem.builder().mount("/tmp", big).build();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int id = t;
            done.add(pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    try (SeekableByteChannel ch = shared.open(p("/tmp/shared.log"), Set.of(WRITE, APPEND, CREATE))) {
                        ch.write(ByteBuffer.wrap(("writer " + id + " line " + i + "\n").getBytes(StandardCharsets.UTF_8)));
                    }
                    try (SeekableByteChannel ch = shared.open(p("/tmp/own" + id), Set.of(WRITE, APPEND, CREATE))) {
                        ch.write(ByteBuffer.wrap(new byte[10]));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        List<String> lines = Files.readAllLines(tmpRoot.resolve("shared.log"));
        assertThat(lines).hasSize(1_600).allMatch(l -> l.matches("writer \\d line \\d+"));
        long onDisk = 0;
        try (var files = Files.list(tmpRoot)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                onDisk += Files.size(f);
            }
        }
        assertThat(big.usedBytes()).isEqualTo(onDisk);
        assertThat(big.usedEntries()).isEqualTo(9);
    }
}
