package dev.cordon.json;

import dev.cordon.ExecutionResult;
import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.Usage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ResultTextTest {

    private static final Usage USAGE = new Usage(12, 7, 1024, 3, 0, 1);

    @Test
    void anOkRunShowsWhatItPrintedAndItsValueAndLeavesEmptyPartsOut() {
        String text = ResultText.of(new ExecutionResult(Status.OK, "42\n", false, "", false,
                Map.of("n", List.of(1, 2)), null, USAGE, List.of()));
        assertThat(text).isEqualTo("""
                status: OK (the program ran to its end)
                stdout:
                42
                value (passed to cordon.result): {"n":[1,2]}
                used: 12 ms wall time, 7 ms CPU
                """);
    }

    @Test
    void anErrorShowsItsExceptionAndTraceback() {
        String text = ResultText.of(new ExecutionResult(Status.ERROR, "partial", false, "warning\n", false, null,
                new GuestError("ZeroDivisionError", "division by zero",
                        "Traceback (most recent call last):\n  File \"<model>\", line 1, in <module>\nZeroDivisionError: division by zero\n"),
                USAGE, List.of()));
        assertThat(text).contains("status: ERROR (an exception ended the program)\nstdout:\npartial\nstderr:\nwarning\n")
                .contains("error: ZeroDivisionError: division by zero\ntraceback:\nTraceback (most recent call last):")
                .endsWith("used: 12 ms wall time, 7 ms CPU\n");
    }

    @Test
    void aLimitSaysWhatToChangeAndACutOutputSaysSo() {
        String text = ResultText.of(new ExecutionResult(Status.OUTPUT_LIMIT, "spam", true, "", false, null,
                new GuestError("OutputLimitError", "", ""), USAGE, List.of()));
        assertThat(text).startsWith("status: OUTPUT_LIMIT (stopped at the output limit: print less)\n")
                .contains("stdout (cut at the output limit):\nspam\n").contains("error: OutputLimitError\n")
                .doesNotContain("traceback");
        for (Status s : Status.values()) {
            assertThat(ResultText.meaning(s)).isNotBlank();
        }
    }
}
