package dev.cordon.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code .ci/run} fails when the browser test did not really run: {@code scripts/ran-tests.sh}, which it calls
 * on the browser test's report, run as CI runs it on reports of each kind.
 */
class CiBrowserCheckTest {

    private static final String HEAD = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite xmlns:xsi=\"x\" "
            + "name=\"dev.cordon.tests.zoobar.ZoobarBrowserTest\" time=\"1.0\" ";

    private static int check(Path report) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", Path.of("..", "scripts", "ran-tests.sh").toString(), report.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private static Path report(Path dir, String counts) throws IOException {
        Path f = dir.resolve("TEST-" + counts.hashCode() + ".xml");
        Files.writeString(f, HEAD + counts + ">\n  <testcase name=\"x\"/>\n</testsuite>\n", StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void aSuiteThatRanItsTestsPasses(@TempDir Path dir) throws Exception {
        assertThat(check(report(dir, "tests=\"1\" errors=\"0\" skipped=\"0\" failures=\"0\""))).isZero();
    }

    @Test
    void aClassSkippedBeforeAnyTestStartedFails(@TempDir Path dir) throws Exception {
        assertThat(check(report(dir, "tests=\"0\" errors=\"0\" skipped=\"0\" failures=\"0\""))).isNotZero();
    }

    @Test
    void skippedFailedOrMissingFails(@TempDir Path dir) throws Exception {
        assertThat(check(report(dir, "tests=\"1\" errors=\"0\" skipped=\"1\" failures=\"0\""))).isNotZero();
        assertThat(check(report(dir, "tests=\"2\" errors=\"0\" skipped=\"0\" failures=\"1\""))).isNotZero();
        assertThat(check(dir.resolve("TEST-none.xml"))).isNotZero();
    }
}
