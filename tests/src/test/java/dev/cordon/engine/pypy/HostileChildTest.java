package dev.cordon.engine.pypy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.VirtualProcess;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sandboxed process is hostile: every malformed, lying, oversized or unexpected message ends the
 * controller's loop with a {@link ProtocolException} naming the fault (never another exception, never a
 * hang, never an allocation the child chose), and every refused call gets its errno.
 */
@Timeout(10)
class HostileChildTest {

    @TempDir
    Path dir;

    private VirtualProcess process;
    private final AuditTrail audit = new AuditTrail();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(dir.resolve("x.txt"), "data");
        process = VirtualProcess.builder(VirtualFileSystem.builder()
                        .mount("/tmp", HostTree.writable(dir, Quota.DEFAULT)).build())
                .stdio(java.io.InputStream.nullInputStream(), stdout, java.io.OutputStream.nullOutputStream()).build();
    }

    private LegacyController legacy() {
        return new LegacyController(process, audit, GuestWorld.DEFAULT);
    }

    private Sandbox2Controller sandbox2() {
        return new Sandbox2Controller(process, audit, GuestWorld.DEFAULT, PyPyEngine.EXECUTABLE);
    }

    private static byte[] legacyCall(String name, Object... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Marshal.write(out, name.getBytes(StandardCharsets.US_ASCII));
        Marshal.write(out, Marshal.Tuple.of(args));
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] sb2Call(String signature, long... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(signature.length());
        out.writeBytes(signature.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Sandbox2Controller.words(args));
        return out.toByteArray();
    }

    private static byte[] int32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Test
    void legacyUnknownTag() {
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), new byte[]{'Q', 1, 2}))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("unknown marshal tag 0x51");
    }

    @Test
    void legacyLyingStringLength() {
        byte[] lie = concat(new byte[]{'s'}, int32(Integer.MAX_VALUE), "ll_os".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), lie))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("out of bounds");
        byte[] negative = concat(new byte[]{'s'}, int32(-5));
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), negative))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("out of bounds");
    }

    @Test
    void legacyHugeContainerAndDeepNesting() {
        byte[] huge = concat(legacyName("ll_os.ll_os_getpid"), new byte[]{'('}, int32(1 << 30));
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), huge))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("items is out of bounds");
        ByteArrayOutputStream deep = new ByteArrayOutputStream();
        deep.writeBytes(legacyName("ll_os.ll_os_getpid"));
        for (int i = 0; i < 100; i++) {
            deep.write('(');
            deep.writeBytes(int32(1));
        }
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), deep.toByteArray()))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("nested deeper");
    }

    private static byte[] legacyName(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Marshal.write(out, name.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void legacyEarlyEndOfStream() {
        byte[] call = legacyCall("ll_os.ll_os_write", new Marshal.Int64(1), "hello".getBytes(StandardCharsets.US_ASCII));
        byte[] cut = java.util.Arrays.copyOf(call, call.length - 3);
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), cut))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("ended inside a message");
        byte[] nameOnly = legacyName("ll_os.ll_os_getpid");
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), nameOnly))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected an argument tuple");
    }

    @Test
    void legacyWrongShapes() {
        byte[] tupleName = concat(new byte[]{'(', 0, 0, 0, 0}, new byte[]{'(', 0, 0, 0, 0});
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), tupleName))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected a function name");
        byte[] intPath = legacyCall("ll_os.ll_os_open", new Marshal.Int64(7), new Marshal.Int64(0), new Marshal.Int64(0));
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), intPath))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected a string");
        byte[] missing = legacyCall("ll_os.ll_os_read", new Marshal.Int64(3));
        assertThatThrownBy(() -> ScriptedChild.raw(legacy(), missing))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("at least 2");
    }

    @Test
    void legacyGarbageAfterACallEndsTheRunAfterTheReply() throws Exception {
        byte[] call = legacyCall("ll_os.ll_os_write", new Marshal.Int64(1), "ok\n".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream replies = new ByteArrayOutputStream();
        assertThatThrownBy(() -> legacy().serve(new java.io.ByteArrayInputStream(concat(call, new byte[]{(byte) 0xff})),
                replies)).isInstanceOf(ProtocolException.class).hasMessageContaining("0xff");
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo("ok\n");
        assertThat(TranscriptReplayTest.decodeAll(replies.toByteArray())).containsExactly(0L, 3L);
    }

    @Test
    void legacyUnknownAndProcessCallsAreRefusedAndTheRunGoesOn() throws Exception {
        byte[] replies = ScriptedChild.raw(legacy(), concat(
                legacyCall("ll_os.ll_os_frobnicate"),
                legacyCall("ll_os.ll_os_system", "rm -rf /".getBytes(StandardCharsets.US_ASCII)),
                legacyCall("ll_os.ll_os_fork"),
                legacyCall("ll_os.ll_os__evil"),
                legacyCall("ll_os.ll_os_open", "/etc/passwd".getBytes(StandardCharsets.US_ASCII),
                        new Marshal.Int64(0), new Marshal.Int64(0)),
                legacyCall("ll_os.ll_os_open", "/tmp/../tmp/x.txt".getBytes(StandardCharsets.US_ASCII),
                        new Marshal.Int64(0), new Marshal.Int64(0)),
                legacyCall("ll_os.ll_os_read", new Marshal.Int64(3), new Marshal.Int64(Long.MAX_VALUE)),
                legacyCall("ll_os.ll_os_read", new Marshal.Int64(99), new Marshal.Int64(10))));
        assertThat(TranscriptReplayTest.decodeAll(replies)).usingElementComparator(
                (a, b) -> Marshal.deepEquals(a, b) ? 0 : 1).containsExactly(
                9L, 1L, (long) Errno.EPERM, 1L, (long) Errno.EPERM, 4L, 1L, (long) Errno.ENOENT, 0L, 3L,
                0L, "data".getBytes(StandardCharsets.US_ASCII), 1L, (long) Errno.EBADF);
        assertThat(audit.events()).extracting(AuditEvent::action).contains("call", "system", "fork");
    }

    @Test
    void sandbox2UnknownFunctionEndsTheRun() {
        assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), sb2Call("ptrace(iii)i", 0, 0, 0)))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("ptrace(iii)i");
        assertThat(audit.events()).extracting(AuditEvent::target).contains("ptrace(iii)i");
    }

    @Test
    void sandbox2MalformedSignatures() {
        for (String bad : List.of("open", "open(pii", "open(pxi)i", "(pii)i", "open(pii)q", "op en(p)i",
                "open(pii)ii")) {
            assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), concat(new byte[]{(byte) bad.length()},
                    bad.getBytes(StandardCharsets.US_ASCII)))).as(bad)
                    .isInstanceOf(ProtocolException.class).hasMessageContaining("malformed function signature");
        }
        assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), new byte[]{0}))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("empty");
    }

    @Test
    void sandbox2TruncatedArguments() {
        byte[] call = sb2Call("write(ipi)i", 1, 0x1000, 5);
        assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), java.util.Arrays.copyOf(call, call.length - 4)))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("ended inside a message");
    }

    @Test
    void sandbox2PointerGames() {
        // The controller asks for the path with Z(max 256); the child claims a longer string.
        byte[] lying = concat(sb2Call("open(pii)i", 0x1000, 0, 0), Sandbox2Controller.words(1L << 40));
        assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), lying))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("a C string of 1099511627776 bytes");
        byte[] negative = concat(sb2Call("stat64(pp)i", 0x1000, 0x2000), Sandbox2Controller.words(-1));
        assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), negative))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("out of bounds");
        // The child stops answering in the middle of an R (its stdout closes).
        byte[] silent = concat(sb2Call("write(ipi)i", 1, 0x1000, 100), "only part".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> ScriptedChild.raw(sandbox2(), silent))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("ended inside a message");
        assertThat(stdout.size()).isZero();
    }

    @Test
    void sandbox2OversizedBuffersAreBoundedByTheController() throws Exception {
        byte[] replies = ScriptedChild.raw(sandbox2(), concat(
                sb2Call("write(ipi)i", 1, 0x1000, 1L << 40),
                sb2Call("readdir(p)p", 0xdead),
                sb2Call("close(i)i", 77)));
        List<List<ScriptedChild.Command>> steps = ScriptedChild.parseSandbox2Replies(replies);
        assertThat(steps).hasSize(3);
        assertThat(steps.get(0)).extracting(ScriptedChild.Command::kind).containsExactly('E', 'i');
        assertThat(steps.get(0).get(0).value()).isEqualTo(Errno.EINVAL);
        assertThat(steps.get(1)).extracting(ScriptedChild.Command::kind).containsExactly('E', 'p');
        assertThat(steps.get(1).get(0).value()).isEqualTo(Errno.EBADF);
        assertThat(steps.get(2).get(0).value()).isEqualTo(Errno.EBADF);
    }

    @Test
    void sandbox2ProcessCallsAreRefusedWithEperm() throws Exception {
        byte[] replies = ScriptedChild.raw(sandbox2(), concat(sb2Call("fork()i"), sb2Call("kill(ii)i", 1, 9),
                sb2Call("execv(pp)i", 0x1000, 0x2000)));
        for (List<ScriptedChild.Command> step : ScriptedChild.parseSandbox2Replies(replies)) {
            assertThat(step.get(0).value()).isEqualTo(Errno.EPERM);
            assertThat(step.get(1).value()).isEqualTo(-1);
        }
        assertThat(audit.events()).extracting(AuditEvent::action).contains("fork", "kill", "execv");
    }

    @Test
    void sandbox2DumpsThatCannotBeServedAreRefused() {
        assertThatThrownBy(() -> Sandbox2Controller.checkDump("Version: 20001\nPlatform: linux2\nFuncs: open(pii)i socket(iii)i\n"))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("socket(iii)i");
        assertThatThrownBy(() -> Sandbox2Controller.checkDump("Version: 30000\nPlatform: linux2\nFuncs: open(pii)i\n"))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("version 30000");
        assertThatThrownBy(() -> Sandbox2Controller.checkDump("Version: 20001\nPlatform: win32\nFuncs: open(pii)i\n"))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("win32");
        assertThatThrownBy(() -> Sandbox2Controller.checkDump("garbage"))
                .isInstanceOf(ProtocolException.class);
    }
}
