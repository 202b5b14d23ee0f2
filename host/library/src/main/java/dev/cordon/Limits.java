package dev.cordon;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of one call. Immutable; build with {@link #builder()}.
 *
 * <ul>
 *   <li>{@code wallTime}: elapsed time from the call's acceptance, a wait for a free guest thread included and
 *       the preparation of its sandbox not (default 10 s): no caller waits past it for an answer;</li>
 *   <li>{@code cpuTime}: CPU time of the guest's thread (default: the wall time);</li>
 *   <li>{@code memoryBytes}: memory the call may keep alive (default 1 GiB), measured at garbage
 *       collections as the smaller of what the guest's thread allocated and what the heap grew since the
 *       call began; short-lived garbage does not count. It is checked at collections, so a call can go
 *       past it by what one young generation holds before it is stopped. On the GraalPy backend it also
 *       bounds single operations that could not be interrupted once started (a huge repeat, power, shift
 *       or materialised range): those are refused with a MemoryError before they allocate anything when
 *       they would need more than this, or more than an eighth of the heap;</li>
 *   <li>{@code outputBytes}: bytes the guest may write to stdout, and again to stderr (default 1 MiB);</li>
 *   <li>{@code responseBytes}: bytes of everything else the host keeps of the call (default 1 MiB): its audit
 *       events (each field cut to 1,024 characters, the cut marked; events past the budget are counted, not
 *       kept), its result value ({@code cordon.result} raises ValueError past it) and its error's message and
 *       traceback (cut to what remains, the cut marked);</li>
 *   <li>{@code threads}: guest threads that may run at once beside the call's own (default 0, at most
 *       {@value #MAX_THREADS}): with 0, starting one raises RuntimeError naming this limit; their CPU time
 *       counts in the call's, and none outlives the call (GraalPy backend).</li>
 * </ul>
 * Reaching a limit ends the call with {@link Status#TIMEOUT}, {@link Status#CPU_LIMIT},
 * {@link Status#MEMORY_LIMIT} or {@link Status#OUTPUT_LIMIT}.
 */
public final class Limits {

    /** The names of the limits in configuration files and requests, in the order of {@link #parse}. */
    public static final java.util.List<String> NAMES = java.util.List.of("wallTime", "cpuTime", "memory", "output",
            "response", "threads");

    /** The most guest threads a call may be given. */
    public static final int MAX_THREADS = 64;

    /** The defaults listed above. */
    public static final Limits DEFAULT = builder().build();

    private final Duration wallTime;
    private final Duration cpuTime;
    private final long memoryBytes;
    private final long outputBytes;
    private final long responseBytes;
    private final int threads;

    private Limits(Builder b) {
        this.wallTime = b.wallTime;
        this.cpuTime = b.cpuTime == null ? b.wallTime : b.cpuTime;
        this.memoryBytes = b.memoryBytes;
        this.outputBytes = b.outputBytes;
        this.responseBytes = b.responseBytes;
        this.threads = b.threads;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these limits. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.wallTime = wallTime;
        b.cpuTime = cpuTime;
        b.memoryBytes = memoryBytes;
        b.outputBytes = outputBytes;
        b.responseBytes = responseBytes;
        b.threads = threads;
        return b;
    }

    /**
     * Limits as people write them, over the defaults: durations such as {@code 500ms} or {@code 2s}, sizes
     * such as {@code 64KB} ({@link Durations}, {@link Sizes}); null leaves a limit at its default (an unset CPU
     * time follows the wall time). One reading for the command line's flags, a service's configuration and a
     * request's limits.
     *
     * @throws IllegalArgumentException for a duration or size that does not parse or is not positive
     */
    public static Limits parse(String wallTime, String cpuTime, String memory, String output) {
        return builder().parse(wallTime, cpuTime, memory, output).build();
    }

    /**
     * These limits with each given text applied as {@link #parse} reads it; null keeps this limit's value.
     *
     * @throws IllegalArgumentException for a duration or size that does not parse or is not positive
     */
    public Limits with(String wallTime, String cpuTime, String memory, String output) {
        return toBuilder().parse(wallTime, cpuTime, memory, output).build();
    }

    public Duration wallTime() {
        return wallTime;
    }

    public Duration cpuTime() {
        return cpuTime;
    }

    public long memoryBytes() {
        return memoryBytes;
    }

    public long outputBytes() {
        return outputBytes;
    }

    public long responseBytes() {
        return responseBytes;
    }

    /** Guest threads that may run at once beside the call's own; 0 for none. */
    public int threads() {
        return threads;
    }

    @Override
    public String toString() {
        return "Limits[wallTime=" + wallTime + ", cpuTime=" + cpuTime + ", memoryBytes=" + memoryBytes
                + ", outputBytes=" + outputBytes + ", responseBytes=" + responseBytes + ", threads=" + threads + "]";
    }

    /** Builds {@link Limits}; every setter rejects a non-positive bound. */
    public static final class Builder {
        private Duration wallTime = Duration.ofSeconds(10);
        private Duration cpuTime;
        private long memoryBytes = 1L << 30;
        private long outputBytes = 1L << 20;
        private long responseBytes = 1L << 20;
        private int threads;

        private Builder() {
        }

        public Builder wallTime(Duration wallTime) {
            this.wallTime = positive(wallTime, "wallTime");
            return this;
        }

        public Builder cpuTime(Duration cpuTime) {
            this.cpuTime = positive(cpuTime, "cpuTime");
            return this;
        }

        public Builder memoryBytes(long memoryBytes) {
            this.memoryBytes = positive(memoryBytes, "memoryBytes");
            return this;
        }

        public Builder outputBytes(long outputBytes) {
            this.outputBytes = positive(outputBytes, "outputBytes");
            return this;
        }

        public Builder responseBytes(long responseBytes) {
            this.responseBytes = positive(responseBytes, "responseBytes");
            return this;
        }

        /** Guest threads that may run at once beside the call's own: 0 (the default) to {@value #MAX_THREADS}. */
        public Builder threads(int threads) {
            if (threads < 0 || threads > MAX_THREADS) {
                throw new IllegalArgumentException("threads must be 0 to " + MAX_THREADS + ": " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Sets one limit by its name as configuration files write it ({@link #NAMES}) from its text.
         *
         * @throws IllegalArgumentException for an unknown name, or a text that does not parse
         */
        public Builder parse(String name, String text) {
            switch (name) {
                case "wallTime" -> wallTime(Durations.parse(text));
                case "cpuTime" -> cpuTime(Durations.parse(text));
                case "memory" -> memoryBytes(Sizes.parse(text));
                case "output" -> outputBytes(Sizes.parse(text));
                case "response" -> responseBytes(Sizes.parse(text));
                case "threads" -> threads(threadCount(text));
                default -> throw new IllegalArgumentException("unknown limit \"" + name + "\": limits are "
                        + String.join(", ", NAMES));
            }
            return this;
        }

        /** Sets each limit whose text is not null, as {@link Limits#parse} reads it. */
        public Builder parse(String wallTime, String cpuTime, String memory, String output) {
            if (wallTime != null) {
                wallTime(Durations.parse(wallTime));
            }
            if (cpuTime != null) {
                cpuTime(Durations.parse(cpuTime));
            }
            if (memory != null) {
                memoryBytes(Sizes.parse(memory));
            }
            if (output != null) {
                outputBytes(Sizes.parse(output));
            }
            return this;
        }

        private static int threadCount(String text) {
            try {
                return Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("threads must be a whole number such as 4: \"" + text + "\"");
            }
        }

        public Limits build() {
            return new Limits(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
            return d;
        }

        private static long positive(long n, String name) {
            if (n <= 0) {
                throw new IllegalArgumentException(name + " must be positive: " + n);
            }
            return n;
        }
    }
}
