package dev.cordon.cli.daemon;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The background process's decoder of a client's frames, fed random, truncated and oversized frames: each read
 * ends with a frame within the bound, the clean end of the stream, or an {@code IOException} (which ends that
 * connection only), never another exception and never an allocation past the bound; a command line survives
 * its way through the wire unchanged.
 */
class DaemonWireFuzzTest {

    @Provide
    Arbitrary<byte[]> frames() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        Arbitrary<byte[]> typed = Arbitraries.of((byte) 'Q', (byte) 'I', (byte) 'S', (byte) 'X', (byte) 'O',
                (byte) 'E', (byte) 'R', (byte) 'C', (byte) 'T', (byte) 'Z', (byte) 0).flatMap(type -> Arbitraries.integers()
                .flatMap(length -> Arbitraries.bytes().array(byte[].class).ofMaxSize(48).map(rest -> {
                    byte[] b = new byte[5 + rest.length];
                    b[0] = type;
                    b[1] = (byte) (length >>> 24);
                    b[2] = (byte) (length >>> 16);
                    b[3] = (byte) (length >>> 8);
                    b[4] = (byte) (int) length;
                    System.arraycopy(rest, 0, b, 5, rest.length);
                    return b;
                })));
        return Arbitraries.oneOf(random, typed);
    }

    @Property(tries = 1000)
    void everyFrameEndsCleanly(@ForAll("frames") byte[] bytes) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        try {
            Wire.Frame f;
            while ((f = Wire.read(in)) != null) {
                assertThat(f.payload().length).isLessThanOrEqualTo(Wire.MAX_FRAME);
                assertThat("QISXOERCT".indexOf(f.type())).isNotNegative();
                if (f.type() == Wire.REQUEST) {
                    List<String> command = Wire.command(f);
                    assertThat(command.get(0)).isNotEmpty();
                }
            }
        } catch (IOException expected) {
            // A violation or a stream cut short: the connection ends, the process goes on.
        }
    }

    @Provide
    Arbitrary<List<String>> commandLines() {
        return Arbitraries.strings().excludeChars('\0').ofMaxLength(40).list().ofMaxSize(8);
    }

    @Property(tries = 300)
    void aCommandLineCrossesUnchanged(@ForAll("commandLines") List<String> args) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Wire.write(new DataOutputStream(bytes), Wire.REQUEST, Wire.request("/home/user/work", args));
        Wire.Frame f = Wire.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        List<String> expected = new ArrayList<>();
        expected.add("/home/user/work");
        expected.addAll(args);
        assertThat(Wire.command(f)).isEqualTo(expected);
    }

    @Property(tries = 50)
    void anArgumentWithANulIsRefusedBeforeItIsSent(@ForAll("commandLines") List<String> args) {
        List<String> withNul = new ArrayList<>(args);
        withNul.add("a\0b");
        assertThatThrownBy(() -> Wire.request("/w", withNul)).isInstanceOf(Wire.WireException.class);
    }
}
