package dev.cordon.capabilities;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One use of a capability, or one denial, during a call.
 *
 * @param time     when it happened
 * @param category what kind of authority was involved: {@code fs}, {@code gateway}, {@code process},
 *                 {@code network}, {@code thread}, {@code signal}, {@code limit}, ...
 * @param action   the operation, such as {@code open}, {@code system} or {@code connect}
 * @param target   what it was applied to, in the guest's terms (a virtual path, a service name); never a
 *                 host path or credential
 * @param outcome  whether it was allowed
 * @param detail   a short explanation, empty when there is nothing to add
 * @param duration how long the use took (gateway calls), null when not measured
 */
public record AuditEvent(Instant time, String category, String action, String target, Outcome outcome,
                         String detail, Duration duration) {

    /** How a capability use ended. */
    public enum Outcome {
        ALLOWED, DENIED, FAILED
    }

    public AuditEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
    }
}
