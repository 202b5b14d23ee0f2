package dev.cordon.capabilities.services;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.gateway.Service;
import net.rubyeye.xmemcached.GetsResponse;
import net.rubyeye.xmemcached.MemcachedClient;
import net.rubyeye.xmemcached.XMemcachedClientBuilder;
import net.rubyeye.xmemcached.exception.MemcachedException;
import net.rubyeye.xmemcached.utils.AddrUtil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The key-value service on a real memcached server ({@code memcached:HOST:PORT}), as the hosting platform's
 * jailed Python reached memcache: the same operations, arguments, bounds and refusals as {@link KeyValueService}
 * ({@code get}, {@code set} with an optional time to live, {@code delete}, {@code incr} of a signed integer that
 * starts at 0), so that a guest's code does not change with the store behind the token.
 *
 * <p>The guest never names a memcached key: each of its keys becomes a fixed-length one derived from its
 * principal (unless the service is shared) and its own key by SHA-256, so principals cannot reach each other's
 * entries and no key the guest writes can be malformed on the wire. Values are stored as JSON with their expiry,
 * so that {@code incr} keeps an entry's time to live; {@code incr} is a compare-and-set loop, exact under
 * concurrent callers. Each operation waits at most the call's time left, and at most its own timeout.
 */
public final class MemcachedService implements Service, AutoCloseable {

    private static final int CAS_ATTEMPTS = 64;
    /** memcached reads an expiry beyond 30 days as an absolute Unix time. */
    private static final long RELATIVE_LIMIT = 30L * 24 * 3600;

    private final MemcachedClient client;
    private final String address;
    private final boolean shared;
    private final int maxValueBytes;
    private final Duration timeout;
    private final Clock clock;

    private MemcachedService(Builder b) throws IOException {
        this.address = b.address;
        this.shared = b.shared;
        this.maxValueBytes = b.maxValueBytes;
        this.timeout = b.timeout;
        this.clock = b.clock;
        XMemcachedClientBuilder builder = new XMemcachedClientBuilder(AddrUtil.getAddresses(b.address));
        builder.setConnectTimeout(b.timeout.toMillis());
        builder.setOpTimeout(b.timeout.toMillis());
        builder.setConnectionPoolSize(1);
        this.client = builder.build();
    }

    /** A service on the memcached server at {@code host:port}. */
    public static Builder at(String hostAndPort) {
        return new Builder(hostAndPort);
    }

    @Override
    public String describe() {
        return "key-value store on memcached, " + (shared ? "shared" : "per principal");
    }

    @Override
    public Object call(CallContext context, String operation, List<Object> arguments) {
        String namespace = shared ? "" : context.principal().name();
        long wait = context.within(timeout).toMillis();
        try {
            return switch (operation) {
                case "get" -> {
                    Arguments a = new Arguments("get", arguments, 1, 1);
                    ObjectNode stored = read(client.get(key(namespace, a), wait));
                    yield stored == null ? null : Json.MAPPER.treeToValue(stored.get("v"), Object.class);
                }
                case "set" -> {
                    Arguments a = new Arguments("set", arguments, 2, 3);
                    Object value = a.value(1);
                    long expiry = expiry(a.integer(2, Long.MIN_VALUE));
                    if (!client.set(key(namespace, a), exptime(expiry), entry(value, expiry), wait)) {
                        throw GatewayException.failed("memcached did not store the value");
                    }
                    yield null;
                }
                case "delete" -> {
                    Arguments a = new Arguments("delete", arguments, 1, 1);
                    yield client.delete(key(namespace, a), wait);
                }
                case "incr" -> {
                    Arguments a = new Arguments("incr", arguments, 1, 2);
                    yield incr(key(namespace, a), a.integer(1, 1), wait);
                }
                default -> throw GatewayException.notFound("no operation " + operation + " (get, set, delete, incr)");
            };
        } catch (TimeoutException e) {
            throw GatewayException.timeout("memcached did not answer within " + wait + " ms");
        } catch (MemcachedException e) {
            throw GatewayException.failed("memcached refused the operation: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GatewayException.timeout("interrupted while waiting for memcached");
        } catch (IOException e) {
            throw GatewayException.failed("memcached's answer could not be read: " + e.getMessage());
        }
    }

    private Object incr(String key, long delta, long wait) throws TimeoutException, InterruptedException,
            MemcachedException, IOException {
        for (int i = 0; i < CAS_ATTEMPTS; i++) {
            GetsResponse<String> found = client.gets(key, wait);
            if (found == null) {
                if (client.add(key, 0, entry(delta, 0), wait)) {
                    return delta;
                }
                continue;   // someone else created it meanwhile
            }
            ObjectNode stored = read(found.getValue());
            JsonNode v = stored == null ? null : stored.get("v");
            if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
                throw GatewayException.invalid("incr() on a value that is not an integer");
            }
            long next;
            try {
                next = Math.addExact(v.longValue(), delta);
            } catch (ArithmeticException e) {
                throw GatewayException.invalid("incr() past a 64-bit integer");
            }
            long expiry = stored.path("e").asLong(0);
            if (client.cas(key, exptime(expiry), entry(next, expiry), wait, found.getCas())) {
                return next;
            }
        }
        throw GatewayException.failed("incr() lost " + CAS_ATTEMPTS + " races in a row for the same key");
    }

    /** The memcached key of a guest's key: a fixed-length digest of its namespace and key. */
    private static String key(String namespace, Arguments a) {
        String key = KeyValueService.key(a);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(namespace.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(key.getBytes(StandardCharsets.UTF_8));
            return "cordon:" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The value and its expiry (Unix seconds, 0 for none) as the JSON text memcached holds. */
    private String entry(Object value, long expiry) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("v", Json.MAPPER.valueToTree(value));
        o.put("e", expiry);
        String text = o.toString();
        if (text.getBytes(StandardCharsets.UTF_8).length > maxValueBytes) {
            throw GatewayException.invalid("the value is larger than " + maxValueBytes + " bytes");
        }
        return text;
    }

    private static ObjectNode read(Object stored) throws IOException {
        if (stored == null) {
            return null;
        }
        if (!(stored instanceof String text) || !(Json.MAPPER.readTree(text) instanceof ObjectNode o)) {
            throw GatewayException.failed("memcached holds an entry Cordon did not write");
        }
        return o;
    }

    /** The Unix second an entry set now with a time to live of {@code seconds} expires, or 0 for never. */
    private long expiry(long seconds) {
        KeyValueService.checkTtl(seconds);
        if (seconds == Long.MIN_VALUE) {
            return 0;
        }
        long now = clock.instant().getEpochSecond();
        return seconds >= Integer.MAX_VALUE - now ? 0 : now + seconds;
    }

    /** memcached's exptime for an absolute expiry: relative when within 30 days, as memcached reads it. */
    private int exptime(long expiry) {
        if (expiry == 0) {
            return 0;
        }
        long left = expiry - clock.instant().getEpochSecond();
        if (left <= 0) {
            return -1;   // already past: memcached drops it at once
        }
        return (int) (left <= RELATIVE_LIMIT ? left : expiry);
    }

    @Override
    public void close() {
        try {
            client.shutdown();
        } catch (IOException e) {
            // The connections are gone either way.
        }
    }

    @Override
    public String toString() {
        return "memcached:" + address;
    }

    /** Configures a {@link MemcachedService}. */
    public static final class Builder {
        private final String address;
        private boolean shared;
        private int maxValueBytes = 1_000_000;
        private Duration timeout = Duration.ofSeconds(2);
        private Clock clock = Clock.systemUTC();

        private Builder(String address) {
            if (!address.matches("[^\\s:]+:\\d{1,5}")) {
                throw new IllegalArgumentException("memcached:HOST:PORT expected, not memcached:" + address);
            }
            this.address = address;
        }

        /** One namespace for every principal (default: one per principal). */
        public Builder shared(boolean shared) {
            this.shared = shared;
            return this;
        }

        /** The largest stored value, as JSON with its expiry (default 1,000,000 bytes, under memcached's 1 MiB items). */
        public Builder maxValueBytes(int n) {
            this.maxValueBytes = n;
            return this;
        }

        /** The longest an operation waits for the server (default 2 s), within the call's time left. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** The clock times to live are counted on (for tests). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** @throws java.io.UncheckedIOException if the client cannot be set up */
        public MemcachedService build() {
            try {
                return new MemcachedService(this);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot reach memcached at " + address + ": " + e.getMessage(), e);
            }
        }
    }
}
