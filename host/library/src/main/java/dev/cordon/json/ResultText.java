package dev.cordon.json;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Json;

/**
 * An {@link ExecutionResult} as plain text for a language model that wrote the code: how the run ended and
 * what that means for its next attempt, what the program printed, the value it passed to
 * {@code cordon.result(...)}, and the exception with its traceback. Empty parts are left out, so a model
 * never reads an empty "stderr:" as something to explain. The MCP tools and the LangChain4j engine answer
 * with it.
 */
public final class ResultText {

    private ResultText() {
    }

    /** The result, for a model. */
    public static String of(ExecutionResult r) {
        StringBuilder b = new StringBuilder("status: ").append(r.status()).append(" (").append(meaning(r.status()))
                .append(")\n");
        section(b, "stdout", r.stdout(), r.stdoutTruncated());
        section(b, "stderr", r.stderr(), r.stderrTruncated());
        if (r.value() != null) {
            com.fasterxml.jackson.databind.JsonNode value = Json.MAPPER.valueToTree(r.value());
            b.append("value (passed to cordon.result): ").append(value.toString()).append('\n');
        }
        if (r.error() != null) {
            b.append("error: ").append(r.error().type());
            if (!r.error().message().isEmpty()) {
                b.append(": ").append(r.error().message());
            }
            b.append('\n');
            if (!r.error().traceback().isBlank()) {
                b.append("traceback:\n").append(r.error().traceback().stripTrailing()).append('\n');
            }
        }
        b.append("used: ").append(r.usage().wallMillis()).append(" ms wall time, ")
                .append(r.usage().cpuMillis()).append(" ms CPU\n");
        return b.toString();
    }

    private static void section(StringBuilder b, String name, String text, boolean truncated) {
        if (text.isEmpty() && !truncated) {
            return;
        }
        b.append(name).append(truncated ? " (cut at the output limit):\n" : ":\n").append(text);
        if (!text.endsWith("\n")) {
            b.append('\n');
        }
    }

    /** What a status means to the author of the code. */
    static String meaning(Status s) {
        return switch (s) {
            case OK -> "the program ran to its end";
            case ERROR -> "an exception ended the program";
            case TIMEOUT -> "stopped at the wall-time limit: do less work per call";
            case CPU_LIMIT -> "stopped at the CPU-time limit: do less work per call";
            case MEMORY_LIMIT -> "stopped at the memory limit: hold less data at once";
            case OUTPUT_LIMIT -> "stopped at the output limit: print less";
            case REJECTED -> "not run: the sandbox refused the call";
            case INTERNAL -> "a fault of the sandbox, not of the program: the same code may be run again";
        };
    }
}
