package dev.cordon.engine.pypy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.VirtualProcess;
import dev.cordon.capabilities.vfs.MemoryTree;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever bytes a sandboxed process writes, each decoder ends by answering, by reaching the end of the
 * stream, or with a {@link ProtocolException}: never another exception, never more memory than the bytes
 * justify. Inputs are random bytes and recorded messages with random mutations (flipped bytes, cut
 * streams, spliced garbage), which reach deeper than noise alone.
 */
class ProtocolFuzzTest {

    private static VirtualProcess process() {
        VirtualFileSystem fs = VirtualFileSystem.builder()
                .mount("/tmp", new MemoryTree(Map.of("x.txt", "contents of x.txt\n".getBytes()), Instant.EPOCH))
                .build();
        return VirtualProcess.builder(fs).build();
    }

    @Property(tries = 400)
    void legacyDecoderNeverFailsOtherwise(@ForAll("legacyStreams") byte[] stream) {
        serveSafely(new LegacyController(process(), new AuditTrail(), GuestWorld.DEFAULT), stream);
        ChildStream in = new ChildStream(new ByteArrayInputStream(stream));
        try {
            Object v;
            int n = 0;
            while ((v = Marshal.read(in)) != Marshal.END && n++ < 10_000) {
                assertThat(Marshal.encode(v)).isNotNull();
            }
        } catch (ProtocolException e) {
            assertThat(e.getMessage()).isNotBlank();
        } catch (IOException e) {
            throw new AssertionError("not a protocol error: " + e, e);
        }
    }

    @Property(tries = 400)
    void sandbox2DecoderNeverFailsOtherwise(@ForAll("sandbox2Streams") byte[] stream) {
        serveSafely(new Sandbox2Controller(process(), new AuditTrail(), GuestWorld.DEFAULT, PyPyEngine.EXECUTABLE), stream);
    }

    @Property(tries = 200)
    void marshalRoundTrips(@ForAll("values") Object value) throws IOException {
        byte[] bytes = Marshal.encode(value);
        Object back = Marshal.read(new ChildStream(new ByteArrayInputStream(bytes)));
        assertThat(Marshal.encode(back)).isEqualTo(bytes);
    }

    private static void serveSafely(Controller controller, byte[] stream) {
        try {
            controller.serve(new ByteArrayInputStream(stream), new ByteArrayOutputStream());
        } catch (ProtocolException e) {
            assertThat(e.getMessage()).isNotBlank();
        } catch (IOException e) {
            throw new AssertionError("not a protocol error: " + e, e);
        }
    }

    @Provide
    Arbitrary<byte[]> legacyStreams() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                mutated(RecordedCalls.bytes("mini-legacy-writabletmp.c2p.bin")),
                mutated(RecordedCalls.bytes("mini-legacy-readonly.c2p.bin")));
    }

    @Provide
    Arbitrary<byte[]> sandbox2Streams() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                mutated(RecordedCalls.bytes("mini-sb2-writabletmp.c2p.bin")),
                mutated(RecordedCalls.bytes("mini-sb2-readonly.c2p.bin")));
    }

    /** A recorded stream with a byte changed, a cut, or garbage spliced in. */
    private static Arbitrary<byte[]> mutated(byte[] recorded) {
        Arbitrary<Integer> at = Arbitraries.integers().between(0, recorded.length - 1);
        Arbitrary<byte[]> flipped = Combinators.combine(at, Arbitraries.bytes()).as((i, b) -> {
            byte[] copy = recorded.clone();
            copy[i] = b;
            return copy;
        });
        Arbitrary<byte[]> cut = at.map(i -> java.util.Arrays.copyOf(recorded, i));
        Arbitrary<byte[]> spliced = Combinators.combine(at, Arbitraries.bytes().array(byte[].class).ofMaxSize(16))
                .as((i, garbage) -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.write(recorded, 0, i);
                    out.writeBytes(garbage);
                    out.write(recorded, i, recorded.length - i);
                    return out.toByteArray();
                });
        return Arbitraries.oneOf(flipped, cut, spliced);
    }

    @Provide
    Arbitrary<Object> values() {
        Arbitrary<Object> leaves = Arbitraries.oneOf(
                Arbitraries.just(null), Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.longs().map(l -> (Object) new Marshal.Int64(l)),
                Arbitraries.doubles().map(d -> (Object) d),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(b -> (Object) b));
        return Arbitraries.recursive(() -> leaves, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(l -> (Object) new Marshal.Tuple(l)),
                inner.list().ofMaxSize(4).map(l -> (Object) new java.util.ArrayList<>(l))),
                0, 3);
    }
}
