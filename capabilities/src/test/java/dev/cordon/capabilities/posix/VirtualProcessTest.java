package dev.cordon.capabilities.posix;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualProcessTest {

    private static byte[] path(String p) {
        return p.getBytes(StandardCharsets.UTF_8);
    }

    /** access(W_OK) asks; it neither changes a file nor records a refusal, and a read-only tree says EACCES. */
    @Test
    void accessForWritingAsksWithoutTouching(@TempDir Path readOnly, @TempDir Path writable) throws Exception {
        Files.writeString(readOnly.resolve("r.txt"), "r");
        Files.writeString(writable.resolve("w.txt"), "w");
        Files.setLastModifiedTime(writable.resolve("w.txt"),
                java.nio.file.attribute.FileTime.fromMillis(1_234_567_891L));
        AuditTrail audit = new AuditTrail();
        VirtualProcess process = VirtualProcess.builder(VirtualFileSystem.builder().audit(audit)
                .mount("/data", new HostTree(readOnly)).mount("/tmp", HostTree.writable(writable, Quota.DEFAULT))
                .build()).build();

        process.access(path("/data/r.txt"), 04);
        assertThatThrownBy(() -> process.access(path("/data/r.txt"), 02))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
        process.access(path("/tmp/w.txt"), 06);
        assertThatThrownBy(() -> process.access(path("/tmp/missing"), 0))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));

        assertThat(audit.events()).isEmpty();
        assertThat(Files.getLastModifiedTime(writable.resolve("w.txt")).toMillis()).isEqualTo(1_234_567_891L);
    }

    /**
     * A read's count is the interpreter's: asking for Integer.MAX_VALUE bytes allocates at most MAX_READ (a 2 GiB
     * buffer would not fit a test JVM's heap, nor a host's that serves many calls), returns what there is in
     * short reads, and reaches the end of the file and of stdin as usual.
     */
    @Test
    void aHugeReadCountIsAShortReadNotAnAllocationOfThatSize(@TempDir Path dir) throws Exception {
        byte[] big = new byte[VirtualProcess.MAX_READ + 10];
        Arrays.fill(big, (byte) 'a');
        Files.write(dir.resolve("big"), big);
        byte[] input = "from stdin".getBytes(StandardCharsets.UTF_8);
        VirtualProcess process = VirtualProcess.builder(VirtualFileSystem.builder()
                        .mount("/data", new HostTree(dir)).build())
                .stdio(new ByteArrayInputStream(input), OutputStream.nullOutputStream(),
                        OutputStream.nullOutputStream())
                .build();

        int fd = process.open(path("/data/big"), 0, 0);
        assertThat(process.read(fd, Integer.MAX_VALUE)).hasSize(VirtualProcess.MAX_READ);
        assertThat(process.read(fd, Integer.MAX_VALUE)).hasSize(10);
        assertThat(process.read(fd, Integer.MAX_VALUE)).isEmpty();
        assertThat(process.read(0, Integer.MAX_VALUE)).isEqualTo(input);
        assertThat(process.read(0, Integer.MAX_VALUE)).isEmpty();
        assertThatThrownBy(() -> process.read(fd, -1))
                .isInstanceOfSatisfying(PosixException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }
}
