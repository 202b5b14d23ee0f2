package dev.cordon.capabilities.gateway;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Principal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The services of one Cordon and the tokens that lead to them. Immutable once built, thread-safe.
 * Each execution opens its own {@link GatewayAccess}, limited to the services it was granted.
 */
public final class Gateway {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

    private final Map<String, Service> services;
    private final Tokens tokens;

    private Gateway(Map<String, Service> services, Tokens tokens) {
        this.services = Map.copyOf(services);
        this.tokens = tokens;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A gateway with no services. */
    public static Gateway empty() {
        return builder().build();
    }

    public Set<String> serviceNames() {
        return services.keySet();
    }

    public boolean has(String service) {
        return services.containsKey(service);
    }

    Service service(String name) {
        return services.get(name);
    }

    Tokens tokens() {
        return tokens;
    }

    /**
     * Opens the gateway for one execution.
     *
     * @param granted the services this execution was granted; each must be registered
     * @throws IllegalArgumentException if one is not
     */
    public GatewayAccess open(Principal principal, String executionId, Set<String> granted, AuditTrail audit) {
        for (String name : granted) {
            if (!has(name)) {
                throw new IllegalArgumentException("granted gateway:" + name + " but no service " + name
                        + " is registered");
            }
        }
        return new GatewayAccess(this, principal, executionId, Set.copyOf(granted), audit);
    }

    /** Checks a service name: letters, digits, {@code _ . -}, at most 64 characters. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a service name: " + name
                    + " (letters, digits, _ . -, at most 64 characters)");
        }
        return name;
    }

    /** Registers services. */
    public static final class Builder {
        private final Map<String, Service> services = new LinkedHashMap<>();
        private Duration tokenLifetime = Duration.ofHours(1);
        private long maxLiveTokens = 100_000;

        private Builder() {
        }

        /** @throws IllegalArgumentException if the name is malformed or taken */
        public Builder service(String name, Service service) {
            checkName(name);
            if (services.putIfAbsent(name, Objects.requireNonNull(service, "service")) != null) {
                throw new IllegalArgumentException("service " + name + " is registered twice");
            }
            return this;
        }

        /** The longest a token may live even if its execution never ends (default one hour). */
        public Builder tokenLifetime(Duration lifetime) {
            this.tokenLifetime = Objects.requireNonNull(lifetime, "lifetime");
            return this;
        }

        /** How many tokens may be live at once (default 100,000); the oldest are dropped past it. */
        public Builder maxLiveTokens(long n) {
            this.maxLiveTokens = n;
            return this;
        }

        public Gateway build() {
            return new Gateway(services, new Tokens(tokenLifetime, maxLiveTokens));
        }
    }
}
