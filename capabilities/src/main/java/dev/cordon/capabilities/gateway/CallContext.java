package dev.cordon.capabilities.gateway;

import dev.cordon.capabilities.Principal;

import java.util.Objects;

/**
 * Who is calling a service: the principal the execution runs for, the execution itself (an opaque id,
 * unique per call of {@code Cordon.run}), and the name of the service as granted.
 */
public record CallContext(Principal principal, String executionId, String service) {

    public CallContext {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(executionId, "executionId");
        Objects.requireNonNull(service, "service");
    }
}
