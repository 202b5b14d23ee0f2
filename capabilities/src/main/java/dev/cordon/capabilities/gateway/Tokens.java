package dev.cordon.capabilities.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * The live gateway tokens of one Cordon. A token is 192 random bits from {@link SecureRandom}, written in
 * URL-safe base64 behind {@code cgt1.}; it stands for one service and one execution and nothing else, and
 * the registry is the only place that knows what it stands for. Tokens are revoked when their execution
 * ends; as a second line, each expires a fixed time after it was issued and the registry holds a bounded
 * number of them (the oldest go first), so a leak of executions cannot grow it without bound.
 */
public final class Tokens {

    /** What a token stands for. */
    public record Binding(String executionId, String service, CallContext context) {
    }

    private static final String PREFIX = "cgt1.";
    private static final int BYTES = 24;

    private final SecureRandom random = new SecureRandom();
    private final Cache<String, Binding> live;

    /**
     * @param lifetime how long a token may live at most, even if its execution never ends
     * @param maxLive  how many tokens may be live at once
     */
    public Tokens(Duration lifetime, long maxLive) {
        this.live = Caffeine.newBuilder().expireAfterWrite(lifetime).maximumSize(maxLive).build();
    }

    /** Issues a fresh token for {@code binding}. */
    public String issue(Binding binding) {
        Objects.requireNonNull(binding, "binding");
        byte[] bytes = new byte[BYTES];
        random.nextBytes(bytes);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        live.put(token, binding);
        return token;
    }

    /** What {@code token} stands for, or null if it is unknown, revoked or expired. */
    public Binding lookup(String token) {
        return token == null ? null : live.getIfPresent(token);
    }

    public void revoke(String token) {
        live.invalidate(token);
    }

    /** How many tokens are live, after pending expiries. */
    public long size() {
        live.cleanUp();
        return live.estimatedSize();
    }
}
