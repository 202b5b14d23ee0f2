package dev.cordon.engine.pypy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.VirtualProcess;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recorded traffic of real sandboxed PyPy processes against Cordon's controllers. The mini transcripts
 * come from a tiny RPython program (write to stdout, read {@code /tmp/x.txt}, stat it, write
 * {@code /tmp/out.txt}); fed the child's recorded bytes, the controller must answer with the recorded
 * bytes, up to the synthetic fields of stat results (inode, device, owner, times: Cordon's are its own;
 * and the write bits of the mode, which Cordon clears on read-only trees where PyPy's showed 0644) and
 * one documented difference: a file created on a read-only {@code /tmp} is refused with EACCES, as Linux
 * refuses a file in a directory the user may not write, where PyPy's stock controller answered ENOENT (it looked the name up before checking the
 * write).
 */
class TranscriptReplayTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private VirtualProcess process(boolean writableTmp) throws Exception {
        Files.writeString(dir.resolve("x.txt"), "contents of x.txt\n");
        HostTree tmp = writableTmp ? HostTree.writable(dir, Quota.DEFAULT) : new HostTree(dir);
        VirtualFileSystem fs = VirtualFileSystem.builder().mount("/tmp", tmp).build();
        return VirtualProcess.builder(fs).stdio(java.io.InputStream.nullInputStream(), stdout, stderr).build();
    }

    @Test
    void everyLegacyMessageDecodesAndEncodesToTheSameBytes() throws Exception {
        int messages = 0;
        for (String name : List.of("mini-legacy-readonly", "mini-legacy-writabletmp")) {
            for (String direction : List.of(".c2p.bin", ".p2c.bin")) {
                byte[] recorded = RecordedCalls.bytes(name + direction);
                List<Object> values = decodeAll(recorded);
                ByteArrayOutputStream again = new ByteArrayOutputStream();
                for (Object v : values) {
                    Marshal.write(again, v);
                }
                assertThat(again.toByteArray()).as(name + direction).isEqualTo(recorded);
                messages += values.size();
            }
        }
        assertThat(messages).isGreaterThan(60);
    }

    @Test
    void everySandbox2ReplyParsesToTheSameBytes() throws Exception {
        for (String name : List.of("mini-sb2-readonly", "mini-sb2-writabletmp")) {
            byte[] recorded = RecordedCalls.bytes(name + ".p2c.bin");
            List<List<ScriptedChild.Command>> steps = ScriptedChild.parseSandbox2Replies(recorded);
            assertThat(encode(steps)).as(name).isEqualTo(recorded);
            assertThat(steps).hasSize(RecordedCalls.sandbox2Log(name + ".log.txt").size());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void legacyMiniReplaysByteForByte(boolean writableTmp) throws Exception {
        String name = writableTmp ? "mini-legacy-writabletmp" : "mini-legacy-readonly";
        VirtualProcess process = process(writableTmp);
        byte[] ours = ScriptedChild.raw(new LegacyController(process, new AuditTrail(), GuestWorld.DEFAULT),
                RecordedCalls.bytes(name + ".c2p.bin"));
        process.close();

        List<Object> expected = decodeAll(RecordedCalls.bytes(name + ".p2c.bin"));
        List<Object> actual = decodeAll(ours);
        if (!writableTmp) {
            // The refused open of /tmp/out.txt: [1, ENOENT] recorded, [1, EACCES] from Cordon.
            int at = indexOfPair(expected, 1L, (long) Errno.ENOENT);
            assertThat(actual.subList(at, at + 2)).containsExactly(1L, (long) Errno.EACCES);
            expected.set(at + 1, (long) Errno.EACCES);
        }
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(masked(actual.get(i))).as("reply value " + i).isEqualTo(masked(expected.get(i)));
        }
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("hello from rpython\ncontents of x.txt\n"
                // The recorded child printed the errno it got from PyPy's controller.
                + (writableTmp ? "wrote 19 bytes\n" : "write failed errno=" + Errno.ENOENT + "\n"));
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo("size=18\n");
        if (writableTmp) {
            assertThat(Files.readString(dir.resolve("out.txt"))).isEqualTo("written by sandbox\n");
        } else {
            assertThat(dir.resolve("out.txt")).doesNotExist();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void sandbox2MiniReplaysByteForByte(boolean writableTmp) throws Exception {
        String name = writableTmp ? "mini-sb2-writabletmp" : "mini-sb2-readonly";
        VirtualProcess process = process(writableTmp);
        List<RecordedCalls.Sandbox2Call> calls = RecordedCalls.sandbox2Log(name + ".log.txt");
        List<ScriptedChild.Answer> answers = ScriptedChild.sandbox2(
                new Sandbox2Controller(process, new AuditTrail(), GuestWorld.DEFAULT, PyPyEngine.EXECUTABLE), calls);
        process.close();

        List<List<ScriptedChild.Command>> expected = ScriptedChild.parseSandbox2Replies(
                RecordedCalls.bytes(name + ".p2c.bin"));
        assertThat(answers).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            List<ScriptedChild.Command> ours = ScriptedChild.parseSandbox2Replies(answers.get(i).raw()).get(0);
            List<ScriptedChild.Command> recorded = expected.get(i);
            if (!writableTmp && calls.get(i).signature().equals("open(pii)i") && calls.get(i).failed()) {
                // PyPy's controller read the name twice and answered ENOENT; Cordon reads it once: EACCES.
                assertThat(ours).extracting(ScriptedChild.Command::kind).containsExactly('Z', 'E', 'i');
                assertThat(ours.get(1).value()).isEqualTo(Errno.EACCES);
                assertThat(ours.get(2).value()).isEqualTo(-1);
                continue;
            }
            assertThat(ours).as("call " + calls.get(i).signature()).hasSameSizeAs(recorded);
            for (int c = 0; c < recorded.size(); c++) {
                assertThat(key(ours.get(c))).as("call %d %s command %d", i + 1, calls.get(i).signature(), c)
                        .isEqualTo(key(recorded.get(c)));
            }
        }
        assertThat(stdout.toString(StandardCharsets.UTF_8)).startsWith("hello from rpython\ncontents of x.txt\n");
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo("size=18\n");
        assertThat(Files.exists(dir.resolve("out.txt"))).isEqualTo(writableTmp);
    }

    @Test
    void theCapabilityDumpsOfRealBinariesListOnlyServedFunctions() throws Exception {
        for (String name : List.of("mini-sb2-dump.c2p.bin", "sb2-dump.c2p.bin")) {
            String dump = new String(RecordedCalls.bytes(name), StandardCharsets.US_ASCII);
            assertThat(Sandbox2Controller.checkDump(dump)).isNotEmpty().isSubsetOf(Sandbox2Controller.SIGNATURES);
        }
        assertThat(Sandbox2Controller.checkDump(new String(RecordedCalls.bytes("sb2-dump.c2p.bin"),
                StandardCharsets.US_ASCII))).contains("open(pii)i", "gettimeofday(pp)i", "opendir(p)p").hasSize(105);
    }

    /** A command with the synthetic parts of a stat result left out: only st_mode and st_size count. */
    private static Object key(ScriptedChild.Command c) {
        if (c.kind() == 'W' && c.size() == 144) {
            ByteBuffer b = ByteBuffer.wrap(c.data()).order(ByteOrder.LITTLE_ENDIAN);
            return List.of('W', c.address(), b.getInt(24) & ~0222, b.getLong(48));
        }
        if (c.kind() == 'M') {
            return List.of('M', java.util.Arrays.toString(c.data()));
        }
        return List.of(c.kind(), c.address(), c.size(), c.data() == null ? "" : new String(c.data(),
                StandardCharsets.ISO_8859_1), c.value());
    }

    private static byte[] encode(List<List<ScriptedChild.Command>> steps) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (List<ScriptedChild.Command> step : steps) {
            for (ScriptedChild.Command c : step) {
                out.write(c.kind());
                switch (c.kind()) {
                    case 'R', 'Z' -> out.writeBytes(Sandbox2Controller.words(c.address(), c.size()));
                    case 'W' -> {
                        out.writeBytes(Sandbox2Controller.words(c.address(), c.size()));
                        out.writeBytes(c.data());
                    }
                    case 'M' -> {
                        out.writeBytes(Sandbox2Controller.words(c.size()));
                        out.writeBytes(c.data());
                    }
                    case 'F' -> out.writeBytes(Sandbox2Controller.words(c.address()));
                    case 'E' -> out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                            .putInt((int) c.value()).array());
                    case 'i', 'p', 'f' -> out.writeBytes(Sandbox2Controller.words(c.value()));
                    default -> {
                    }
                }
            }
        }
        return out.toByteArray();
    }

    /** A stat tuple reduced to what is not synthetic: st_mode and st_size. */
    private static Object masked(Object value) {
        if (value instanceof Marshal.Tuple t && t.size() == 10) {
            return List.of((Long) t.get(0) & ~0222, t.get(6));
        }
        if (value instanceof byte[] b) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
        return value;
    }

    static List<Object> decodeAll(byte[] bytes) throws Exception {
        ChildStream in = new ChildStream(new ByteArrayInputStream(bytes));
        List<Object> values = new ArrayList<>();
        Object v;
        while ((v = Marshal.read(in)) != Marshal.END) {
            values.add(v);
        }
        return values;
    }

    private static int indexOfPair(List<Object> values, Object a, Object b) {
        for (int i = 0; i + 1 < values.size(); i++) {
            if (a.equals(values.get(i)) && b.equals(values.get(i + 1))) {
                return i;
            }
        }
        throw new AssertionError("no " + a + ", " + b + " in " + values);
    }
}
