package dev.cordon.capabilities.gateway;

import dev.cordon.capabilities.Principal;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Who is calling a service, and until when: the principal the execution runs for, the execution itself (an
 * opaque id, unique per call of {@code Cordon.run}), the name of the service as granted, and the instant the
 * call's wall time ends. A service bounds its own work by {@link #within} so that no gateway call outlives the
 * call that made it.
 */
public record CallContext(Principal principal, String executionId, String service, Instant deadline) {

    public CallContext {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(deadline, "deadline");
    }

    /** A context with no deadline of its own. */
    public CallContext(Principal principal, String executionId, String service) {
        this(principal, executionId, service, Instant.MAX);
    }

    /** How long the call has left, never negative. */
    public Duration timeLeft() {
        if (deadline.equals(Instant.MAX)) {
            return Duration.ofSeconds(Long.MAX_VALUE);
        }
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * The shorter of a service's own time limit and the call's time left.
     *
     * @throws GatewayException (TIMEOUT) when the call has no time left
     */
    public Duration within(Duration own) {
        Duration left = timeLeft();
        if (left.isZero()) {
            throw GatewayException.timeout("the call's wall time is over");
        }
        return left.compareTo(own) < 0 ? left : own;
    }
}
