package dev.cordon.capabilities.services;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.gateway.Service;

import java.util.List;

/**
 * A key-value store in the host's memory, as memcache was to the hosting platform: {@code get(key)},
 * {@code set(key, value, ttl_seconds=None)}, {@code delete(key)} and {@code incr(key, delta=1)}.
 * Values are any JSON-compatible value up to a size limit; keys are strings of at most 250 characters.
 *
 * <p>Each principal has its own namespace unless the service is configured shared: alice's
 * {@code "score"} is not bob's. The store is bounded (least recently used entries go first) and an entry
 * with a time to live disappears when it has passed.
 */
public final class KeyValueService implements Service {

    private static final int MAX_KEY = 250;
    private static final long NO_EXPIRY = Long.MAX_VALUE;

    private record Key(String namespace, String key) {
    }

    private record Entry(Object value, long ttlNanos) {
    }

    private final Cache<Key, Entry> store;
    private final boolean shared;
    private final int maxValueBytes;

    private KeyValueService(Builder b) {
        this.shared = b.shared;
        this.maxValueBytes = b.maxValueBytes;
        this.store = Caffeine.newBuilder().maximumSize(b.maxEntries).ticker(b.ticker).expireAfter(new Expiry<Key, Entry>() {
            @Override
            public long expireAfterCreate(Key key, Entry value, long currentTime) {
                return value.ttlNanos();
            }

            @Override
            public long expireAfterUpdate(Key key, Entry value, long currentTime, long currentDuration) {
                return value.ttlNanos();
            }

            @Override
            public long expireAfterRead(Key key, Entry value, long currentTime, long currentDuration) {
                return currentDuration;
            }
        }).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String describe() {
        return "key-value store, " + (shared ? "shared" : "per principal");
    }

    @Override
    public Object call(CallContext context, String operation, List<Object> arguments) {
        String namespace = shared ? "" : context.principal().name();
        return switch (operation) {
            case "get" -> {
                Arguments a = new Arguments("get", arguments, 1, 1);
                Entry e = store.getIfPresent(new Key(namespace, key(a)));
                yield e == null ? null : e.value();
            }
            case "set" -> {
                Arguments a = new Arguments("set", arguments, 2, 3);
                Object value = a.value(1);
                if (Json.write(value).length() > maxValueBytes) {
                    throw GatewayException.invalid("the value is larger than " + maxValueBytes + " bytes");
                }
                store.put(new Key(namespace, key(a)), new Entry(value, ttl(a.integer(2, Long.MIN_VALUE))));
                yield null;
            }
            case "delete" -> {
                Arguments a = new Arguments("delete", arguments, 1, 1);
                yield store.asMap().remove(new Key(namespace, key(a))) != null;
            }
            case "incr" -> {
                Arguments a = new Arguments("incr", arguments, 1, 2);
                long delta = a.integer(1, 1);
                Key k = new Key(namespace, key(a));
                Entry updated = store.asMap().compute(k, (key, old) -> {
                    if (old == null) {
                        return new Entry(delta, NO_EXPIRY);
                    }
                    if (!(old.value() instanceof Integer || old.value() instanceof Long)) {
                        throw GatewayException.invalid("incr() on a value that is not an integer");
                    }
                    try {
                        return new Entry(Math.addExact(((Number) old.value()).longValue(), delta), old.ttlNanos());
                    } catch (ArithmeticException e) {
                        throw GatewayException.invalid("incr() past a 64-bit integer");
                    }
                });
                yield updated.value();
            }
            default -> throw GatewayException.notFound("no operation " + operation + " (get, set, delete, incr)");
        };
    }

    /** The guest's key, checked as every key-value service checks it. */
    static String key(Arguments a) {
        String key = a.string(0);
        if (key.isEmpty() || key.length() > MAX_KEY) {
            throw GatewayException.invalid("a key is 1 to " + MAX_KEY + " characters");
        }
        return key;
    }

    /** Refuses a time to live that is not positive ({@code Long.MIN_VALUE} stands for None). */
    static void checkTtl(long seconds) {
        if (seconds != Long.MIN_VALUE && seconds <= 0) {
            throw GatewayException.invalid("ttl_seconds must be positive (or None)");
        }
    }

    private static long ttl(long seconds) {
        checkTtl(seconds);
        if (seconds == Long.MIN_VALUE) {
            return NO_EXPIRY;
        }
        return seconds >= Long.MAX_VALUE / 1_000_000_000L ? NO_EXPIRY : seconds * 1_000_000_000L;
    }

    /** Configures a {@link KeyValueService}. */
    public static final class Builder {
        private boolean shared;
        private long maxEntries = 100_000;
        private int maxValueBytes = 1 << 20;
        private Ticker ticker = Ticker.systemTicker();

        private Builder() {
        }

        /** The clock that times entries out (for tests). */
        public Builder ticker(Ticker ticker) {
            this.ticker = ticker;
            return this;
        }

        /** One namespace for every principal (default: one per principal). */
        public Builder shared(boolean shared) {
            this.shared = shared;
            return this;
        }

        public Builder maxEntries(long n) {
            this.maxEntries = n;
            return this;
        }

        /** The largest value, as JSON (default 1 MiB). */
        public Builder maxValueBytes(int n) {
            this.maxValueBytes = n;
            return this;
        }

        public KeyValueService build() {
            return new KeyValueService(this);
        }
    }
}
