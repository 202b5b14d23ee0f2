package dev.cordon.engine.worker;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.capabilities.gateway.Gateway;
import dev.cordon.capabilities.vfs.DataDirectory;
import dev.cordon.capabilities.vfs.FileTree;
import dev.cordon.capabilities.Principal;
import dev.cordon.engine.CallBridge;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The parent's decoders of a worker's channel, fed malformed, truncated and oversized frames and payloads: each
 * ends with a {@link Wire.ProtocolViolation} (or the file error a tree gives), never another exception, never an
 * allocation beyond the frame bound, and never a file outside the call's own {@code /tmp}.
 */
class WorkerChannelFuzzTest {

    private static Path data;
    private static FileTree tmp;

    @BeforeContainer
    static void tree() throws IOException {
        data = Files.createTempDirectory("cordon-worker-fuzz");
        tmp = new DataDirectory(data, new Quota(1 << 20, 100)).tmp(Principal.of("fuzz"));
    }

    @AfterContainer
    static void clean() throws IOException {
        try (var walk = Files.walk(data)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Provide
    Arbitrary<byte[]> frames() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        Arbitrary<byte[]> lengthPrefixed = Arbitraries.integers().flatMap(length -> Arbitraries.bytes()
                .array(byte[].class).ofMaxSize(48).map(rest -> {
                    byte[] b = new byte[4 + rest.length];
                    b[0] = (byte) (length >>> 24);
                    b[1] = (byte) (length >>> 16);
                    b[2] = (byte) (length >>> 8);
                    b[3] = (byte) (int) length;
                    System.arraycopy(rest, 0, b, 4, rest.length);
                    return b;
                }));
        return Arbitraries.oneOf(random, lengthPrefixed);
    }

    @Property(tries = 500)
    void framesEndCleanly(@ForAll("frames") byte[] bytes) {
        try {
            ByteArrayInputStream in = new ByteArrayInputStream(bytes);
            Wire.Frame f;
            while ((f = Wire.read(in)) != null) {
                assertThat(f.payload().length).isLessThan(Wire.MAX_FRAME);
            }
        } catch (IOException expected) {
            // A violation or a short stream: the worker is killed, the call ends.
        }
    }

    @Provide
    Arbitrary<byte[]> payloads() {
        // Mostly well-formed openings (a mount index of 0, a known operation) followed by anything.
        Arbitrary<byte[]> tail = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
        Arbitrary<Integer> op = Arbitraries.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25, 26, 99);
        return Arbitraries.oneOf(tail, op.flatMap(o -> tail.map(t -> {
            byte[] b = new byte[5 + t.length];
            b[4] = (byte) (int) o;
            System.arraycopy(t, 0, b, 5, t.length);
            return b;
        })));
    }

    @Property(tries = 1000)
    void fileRequestsAreCheckedBeforeATreeIsTouched(@ForAll("payloads") byte[] payload) {
        TreeCalls.Server server = new TreeCalls.Server(List.of(tmp));
        try {
            server.answer(new Wire.Reader(payload), new Wire.Payload());
        } catch (IOException expected) {
            // A violation, or the tree's own refusal (a file that is not there, say).
        } finally {
            server.closeAll();
        }
        try (var walk = Files.walk(data)) {
            assertThat(walk.filter(Files::isRegularFile).map(p -> data.relativize(p).toString())
                    .filter(p -> !p.startsWith("principals/"))).as("nothing outside the principals' trees").isEmpty();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Property(tries = 500)
    void bridgeRequestsAndEndsOfRunsAreChecked(@ForAll("payloads") byte[] payload) {
        AuditTrail audit = new AuditTrail(new ResponseBudget(64 << 10));
        CallBridge bridge = new CallBridge("{}", new ResponseBudget(64 << 10), audit,
                Gateway.builder().build().open(Principal.of("fuzz"), "e", Set.of(), audit));
        try {
            BridgeCalls.answer(bridge, new Wire.Reader(payload), new Wire.Payload());
        } catch (Wire.ProtocolViolation expected) {
            // The worker is killed.
        }
        try {
            WorkerSandbox.decodeDone(new Wire.Reader(payload), audit);
        } catch (Wire.ProtocolViolation expected) {
            // Likewise.
        }
        assertThat(audit.events().size()).isLessThanOrEqualTo(AuditTrail.DEFAULT_CAPACITY + 1);
    }
}
