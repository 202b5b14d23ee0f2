package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.Principal;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class DataDirectoryTest {

    private static final List<String> AWKWARD = List.of("alice", "ALICE", "Alice", "alice/.", "alice/",
            "../alice", "./alice", "alice/..", "test1", "test1/.", "", " ", ".", "..", "/", "a\0b", "a\u0000",
            "caf\u00e9", "cafe\u0301", "\ud800", "\udc00x", "p-alice", "h-alice", "_0061", "a".repeat(5_000),
            "a".repeat(5_001), "\u0430lice", "~root", "$HOME", "con", "nul");

    @Test
    void awkwardNamesGetDistinctSafeDirectories(@TempDir Path root) {
        DataDirectory data = new DataDirectory(root, Quota.DEFAULT);
        Set<String> names = new HashSet<>();
        for (String principal : AWKWARD) {
            String name = DataDirectory.storageName(principal);
            assertThat(names.add(name)).as("storage name of %s is unique", principal).isTrue();
            assertSafe(data, principal);
        }
    }

    @Property(tries = 2_000)
    void distinctPrincipalsNeverShareStorage(@ForAll String a, @ForAll String b) {
        Assume.that(!a.equals(b));
        assertThat(DataDirectory.storageName(a)).isNotEqualTo(DataDirectory.storageName(b));
    }

    @Property(tries = 500)
    void longAndShortNamesNeverCollide(@ForAll @StringLength(min = 100, max = 400) String a) {
        // Near the switch from the readable form to the digest, prefixes and suffixes stay distinct.
        assertThat(DataDirectory.storageName(a)).isNotEqualTo(DataDirectory.storageName(a + "x"));
        assertThat(DataDirectory.storageName(a)).isNotEqualTo(DataDirectory.storageName(a.substring(1)));
    }

    @Property(tries = 1_000)
    void noNameReachesOutsideTheDataDirectory(@ForAll String principal) {
        String name = DataDirectory.storageName(principal);
        assertThat(name).matches("[a-z0-9_-]{2,130}");
        Path root = Path.of("/data");
        Path dir = root.resolve("principals").resolve(name).normalize();
        assertThat(dir.getParent()).isEqualTo(root.resolve("principals"));
    }

    @Test
    void eachPrincipalSeesOnlyItsOwnFiles(@TempDir Path root) throws Exception {
        DataDirectory data = new DataDirectory(root, Quota.DEFAULT);
        write(data.tmp(Principal.of("test1")), "/secret", "mine");
        HostTree other = data.tmp(Principal.of("test1/."));
        assertThat(other.list(VirtualPath.ROOT)).isEmpty();
        assertThat(data.tmp(Principal.of("test1")).list(VirtualPath.ROOT)).containsExactly("secret");
        assertThat(data.tmp(Principal.of("test1"))).isSameAs(data.tmp(Principal.of("test1")));
    }

    @Test
    void storageOutlivesTheInstanceAndUsageIsRecounted(@TempDir Path root) throws Exception {
        DataDirectory first = new DataDirectory(root, Quota.DEFAULT);
        HostTree tmp = first.tmp(Principal.of("alice"));
        tmp.createDirectory(VirtualPath.of("/d"));
        write(tmp, "/d/f", "12345");
        DataDirectory second = new DataDirectory(root, Quota.DEFAULT);
        HostTree again = second.tmp(Principal.of("alice"));
        assertThat(again.list(VirtualPath.of("/d"))).containsExactly("f");
        assertThat(again.usedBytes()).isEqualTo(5);
        assertThat(again.usedEntries()).isEqualTo(2);
        assertThat(Files.readString(second.principalDirectory(Principal.of("alice")).resolve("principal")))
                .isEqualTo("alice\n");
    }

    @Test
    void theTmpDirectoryIsPrivateToTheHostUser(@TempDir Path root) throws Exception {
        DataDirectory data = new DataDirectory(root, Quota.DEFAULT);
        data.tmp(Principal.of("bob"));
        Path tmp = data.principalDirectory(Principal.of("bob")).resolve("tmp");
        assertThat(FileModes.bits(Files.getPosixFilePermissions(tmp))).isEqualTo(0700);
    }

    private static void assertSafe(DataDirectory data, String principal) {
        Path dir = data.principalDirectory(Principal.of(principal));
        assertThat(dir.getParent()).isEqualTo(data.root().resolve("principals"));
        assertThat(dir.normalize()).isEqualTo(dir);
    }

    static void write(FileTree tree, String path, String content) throws Exception {
        try (var ch = tree.open(VirtualPath.of(path), Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING))) {
            ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
