package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bz2 in the sandbox: _bz2 is Cordon's own (_cordon_graalpy/bz2.py) on Apache Commons Compress, through the
 * guest's bridge; its output never passes what the call may use at once.
 */
class Bz2Test {

    @Test
    void compressDecompressFilesStreamsAndTarfileWorkAsOnCPython() {
        ExecutionResult r = SharedCordon.run("""
                import bz2, io, tarfile
                d = bz2.compress(b'hello world ' * 1000)
                print(d[:3], bz2.decompress(d) == b'hello world ' * 1000)
                print(bz2.decompress(d + bz2.compress(b'second'))[-6:])
                f = io.BytesIO()
                with bz2.BZ2File(f, 'w', compresslevel=1) as w:
                    w.write(b'abc' * 100000)
                f.seek(0)
                with bz2.BZ2File(f) as r:
                    print(len(r.read()))
                dec = bz2.BZ2Decompressor()
                out = b''.join(dec.decompress(d[i:i + 7]) for i in range(0, len(d), 7))
                print(len(out), dec.eof, dec.unused_data)
                dec = bz2.BZ2Decompressor()
                print(len(dec.decompress(d + b'tail', max_length=100)), dec.eof, dec.needs_input)
                print(len(dec.decompress(b'')), dec.eof, dec.unused_data)
                for bad in (b'not bzip2 at all', d[:-10]):
                    try:
                        bz2.decompress(bad)
                    except (OSError, ValueError) as e:
                        print(type(e).__name__, e)
                b = io.BytesIO()
                with tarfile.open(fileobj=b, mode='w:bz2') as t:
                    i = tarfile.TarInfo('z'); i.size = 1; t.addfile(i, io.BytesIO(b'z'))
                b.seek(0)
                print(tarfile.open(fileobj=b).getnames(), 'bücher'.encode('utf-8').decode('utf-8'))
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                b'BZh' True
                b'second'
                300000
                12000 True b''
                100 False False
                11900 True b'tail'
                OSError Invalid data stream
                ValueError Compressed data ended before the end-of-stream marker was reached
                ['z'] bücher
                """);
    }

    @Test
    void aStreamThatWouldDecompressPastWhatTheCallMayUseIsRefused() throws IOException {
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (BZip2CompressorOutputStream bz = new BZip2CompressorOutputStream(bomb)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                bz.write(zeros);
            }
        }
        assertThat(bomb.size()).isLessThan(64 << 10);
        ExecutionResult r = SharedCordon.get().run(Execution.builder().code("""
                import bz2, base64
                bomb = base64.b64decode('%s')
                try:
                    bz2.decompress(bomb)
                except MemoryError as e:
                    print('MemoryError', e)
                print(len(bz2.decompress(bz2.compress(b'still fine'))))
                """.formatted(Base64.getEncoder().encodeToString(bomb.toByteArray())))
                .limits(Limits.builder().wallTime(Duration.ofSeconds(60)).memoryBytes(32L << 20).build()).build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).startsWith("MemoryError decompressing a bzip2 stream would need about")
                .contains("(refused before it started)").endsWith("\n10\n");
    }
}
