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
            // Eight modules, a call each at least: with worker processes, the seventh call of a run once waited
            // 120 s for a worker that was idle (the threads that take a worker back did not run).
            exit = Main.execute("conformance", "--modules", "bisect,heapq,fnmatch,shlex,stringprep,html,string,textwrap",
                    "--expected", expected.toString());
        } finally {
            System.setOut(out);
        }
        String report = o.toString(StandardCharsets.UTF_8);
        System.out.println(report);
        assertThat(exit).as(report).isZero();
        assertThat(report).contains("| test_bisect | ").contains("| test_stringprep | ").contains("| test_textwrap | ")
                .doesNotContain("no worker process became free")
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

    @Test
    void aFinishedRunTellsHowLongLoadingTheModuleTookAndResumedRunsAddUp() {
        String done = "@@CONFORMANCE@@ {\"module\": \"test_x\", \"seconds\": 4.0, \"load_seconds\": 1.25,"
                + " \"outcomes\": {\"test.test_x.A.test_one\": \"pass\"}}\n";
        ConformanceCommand.Run run = ConformanceCommand.parse(done, null);
        assertThat(run.seconds()).isEqualTo(4.0);
        assertThat(run.loadSeconds()).isEqualTo(1.25);
        // A module that did not load has no loading time of its own (null in the driver's result).
        assertThat(ConformanceCommand.parse(done.replace("1.25", "null"), null).loadSeconds()).isZero();
        int[] n = {0};
        ConformanceCommand.Run resumed = ConformanceCommand.resuming(skip -> n[0]++ == 0
                ? ConformanceCommand.parse("@@CONFORMANCE-START@@ \"t1\"\n", "ran past PT1M")
                : ConformanceCommand.parse(done, null));
        assertThat(resumed.loadSeconds()).isEqualTo(1.25);
        assertThat(resumed.seconds()).isEqualTo(4.0);
    }

    @Test
    void aRunThatEndsInsideATestNamesItAndTheModuleResumesAfterIt() {
        String hung = """
                @@CONFORMANCE-START@@ "test.test_x.A.test_one"
                @@CONFORMANCE-TEST@@ ["test.test_x.A.test_one", "pass", 1.5]
                @@CONFORMANCE-START@@ "test.test_x.A.test_two"
                """;
        ConformanceCommand.Run first = ConformanceCommand.parse(hung, "ran past PT1M");
        assertThat(first.unfinished()).isEqualTo("test.test_x.A.test_two");
        String rest = """
                @@CONFORMANCE-START@@ "test.test_x.A.test_three"
                @@CONFORMANCE-TEST@@ ["test.test_x.A.test_three", "pass", 0.5]
                @@CONFORMANCE@@ {"module": "test_x", "seconds": 0.75, "outcomes": {"test.test_x.A.test_three": "pass"}}
                """;
        java.util.List<java.util.Set<String>> asked = new java.util.ArrayList<>();
        ConformanceCommand.Run run = ConformanceCommand.resuming(skip -> {
            asked.add(skip);
            return asked.size() == 1 ? first : ConformanceCommand.parse(rest, null);
        });
        assertThat(asked).containsExactly(java.util.Set.of(),
                java.util.Set.of("test.test_x.A.test_one", "test.test_x.A.test_two"));
        assertThat(run.outcomes()).containsEntry("test.test_x.A.test_one", "pass")
                .containsEntry("test.test_x.A.test_two", "error: ran past PT1M (after 1 tests)")
                .containsEntry("test.test_x.A.test_three", "pass").hasSize(3);
        assertThat(run.seconds()).isEqualTo(2.25);
        assertThat(run.problem()).isEqualTo("test.test_x.A.test_two: ran past PT1M (after 1 tests)");
    }

    @Test
    void aModuleThatKeepsHangingIsGivenUpAfterItsRuns() {
        int[] n = {0};
        ConformanceCommand.Run run = ConformanceCommand.resuming(skip -> {
            n[0]++;
            return ConformanceCommand.parse("@@CONFORMANCE-START@@ \"t" + n[0] + "\"\n", "ran past PT1M");
        });
        assertThat(n[0]).isEqualTo(ConformanceCommand.MAX_RUNS);
        assertThat(run.outcomes()).hasSize(ConformanceCommand.MAX_RUNS).containsEntry("t1", "error: ran past PT1M");
        assertThat(run.problem()).endsWith("gave up after " + ConformanceCommand.MAX_RUNS + " runs");
        // A run that fails before any test starts is not resumed.
        int[] once = {0};
        ConformanceCommand.Run unloadable = ConformanceCommand.resuming(skip -> {
            once[0]++;
            return ConformanceCommand.parse("", "SyntaxError");
        });
        assertThat(once[0]).isEqualTo(1);
        assertThat(unloadable.problem()).isEqualTo("SyntaxError");
    }

    private static boolean findTests() throws Exception {
        Path found = ConformanceCommand.findTests();
        return found != null && Files.isRegularFile(found.resolve("__init__.py"));
    }
}
