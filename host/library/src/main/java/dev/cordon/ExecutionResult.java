package dev.cordon;

import dev.cordon.capabilities.AuditEvent;

import java.util.List;
import java.util.Objects;

/**
 * What a call produced, whatever the guest did.
 *
 * @param status          how it ended
 * @param stdout          what the guest wrote to stdout, decoded as UTF-8 with replacement, within the limit
 * @param stdoutTruncated whether stdout went past the limit
 * @param stderr          what the guest wrote to stderr, likewise
 * @param stderrTruncated whether stderr went past the limit
 * @param value           the JSON-compatible value passed to {@code cordon.result(...)}: null, Boolean, Number,
 *                        String, List or Map; null when none was set
 * @param error           the exception that ended the code, null unless status is ERROR (or INTERNAL)
 * @param usage           what the call consumed
 * @param events          the audit trail: each capability use and each denial
 */
public record ExecutionResult(Status status, String stdout, boolean stdoutTruncated, String stderr,
                              boolean stderrTruncated, Object value, GuestError error, Usage usage,
                              List<AuditEvent> events) {

    public ExecutionResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(usage, "usage");
        events = List.copyOf(events);
    }

    /** A call refused before it ran. */
    public static ExecutionResult rejected(String reason) {
        return new ExecutionResult(Status.REJECTED, "", false, "", false, null,
                new GuestError("RejectedError", reason, ""), Usage.NONE, List.of());
    }

    public boolean isOk() {
        return status == Status.OK;
    }
}
