package dev.cordon.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subset of the conformance set that fits CI's budget: CPython's own tests for a few modules, run by
 * {@code cordon conformance} in Cordon (in this execution's isolation mode) and in a plain GraalPy context; every
 * test that passes on the reference passes in Cordon or is listed, with its reason, in
 * tests/conformance/expected-differences.txt. Skipped, and reported so, on a machine without a CPython test suite.
 */
class ConformanceTest {

    @Test
    void cpythonsOwnTestsPassInCordonAsOnPlainGraalPy() throws Exception {
        Assumptions.assumeTrue(findTests(), "no CPython test suite on this machine (set CORDON_CPYTHON_TESTS)");
        Path expected = Path.of("conformance", "expected-differences.txt");
        assertThat(expected).isRegularFile();
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            exit = Main.execute("conformance", "--modules", "bisect,heapq,fnmatch,shlex,stringprep",
                    "--expected", expected.toString());
        } finally {
            System.setOut(out);
        }
        String report = o.toString(StandardCharsets.UTF_8);
        System.out.println(report);
        assertThat(exit).as(report).isZero();
        assertThat(report).contains("| test_bisect | ").contains("| test_stringprep | ")
                .containsPattern("Passing on the reference: [1-9][0-9]*; also in Cordon: [1-9][0-9]*");
    }

    @Test
    void aModuleStoppedAtItsTimeLimitStillCountsTheTestsItRan() {
        String out = """
                noise
                @@CONFORMANCE-TEST@@ ["test.test_x.A.test_one", "pass", 1.5]
                @@CONFORMANCE-TEST@@ ["test.test_x.A.test_two", "fail: AssertionError", 2.5]
                @@CONFORMANCE-TEST@@ ["test.test_x.A.test_thr""";
        ConformanceCommand.Run run = ConformanceCommand.parse(out, "TIMEOUT");
        assertThat(run.outcomes()).containsExactly(java.util.Map.entry("test.test_x.A.test_one", "pass"),
                java.util.Map.entry("test.test_x.A.test_two", "fail: AssertionError"));
        assertThat(run.seconds()).isEqualTo(2.5);
        assertThat(run.problem()).isEqualTo("TIMEOUT (after 2 tests)");
        assertThat(ConformanceCommand.parse("nothing", null).problem()).isEqualTo("no result printed");
    }

    private static boolean findTests() throws Exception {
        Path found = ConformanceCommand.findTests();
        return found != null && Files.isRegularFile(found.resolve("__init__.py"));
    }
}
