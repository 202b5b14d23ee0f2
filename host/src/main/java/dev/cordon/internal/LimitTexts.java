package dev.cordon.internal;

import dev.cordon.Limits;

/**
 * Limits as people write them: durations such as {@code 500ms} or {@code 2s}, sizes such as {@code 64KB};
 * null for a limit left as it is. One reading for the command line's flags, the {@code limits} of a
 * {@code cordon serve} client and those of a request.
 */
public record LimitTexts(String wallTime, String cpuTime, String memory, String output) {

    /**
     * These limits over the defaults, as {@link Limits#builder()} has them (an unset CPU time follows the
     * wall time).
     *
     * @throws IllegalArgumentException for a duration or size that does not parse
     */
    public Limits build() {
        return apply(Limits.builder());
    }

    /**
     * These limits, each unset one taken from {@code base}.
     *
     * @throws IllegalArgumentException for a duration or size that does not parse
     */
    public Limits over(Limits base) {
        return apply(base.toBuilder());
    }

    private Limits apply(Limits.Builder b) {
        if (wallTime != null) {
            b.wallTime(Durations.parse(wallTime));
        }
        if (cpuTime != null) {
            b.cpuTime(Durations.parse(cpuTime));
        }
        if (memory != null) {
            b.memoryBytes(Sizes.parse(memory));
        }
        if (output != null) {
            b.outputBytes(Sizes.parse(output));
        }
        return b.build();
    }
}
