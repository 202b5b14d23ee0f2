package dev.cordon;

/** How a call ended. Every call ends with exactly one. */
public enum Status {
    /** The guest's code ran to its end (or called {@code sys.exit(0)}). */
    OK,
    /** An exception escaped the guest's code, or it exited with a non-zero status. */
    ERROR,
    /** The wall-time limit was reached. */
    TIMEOUT,
    /** The CPU-time limit was reached. */
    CPU_LIMIT,
    /** The memory limit was reached. */
    MEMORY_LIMIT,
    /** The guest wrote more than the output limit to stdout or stderr. */
    OUTPUT_LIMIT,
    /** The call was refused before it ran (too many calls at once, Cordon closed). */
    REJECTED,
    /** A fault of Cordon itself; the guest is not to blame. */
    INTERNAL;

    /** Whether the status reports a limit: TIMEOUT, CPU_LIMIT, MEMORY_LIMIT or OUTPUT_LIMIT. */
    public boolean isLimit() {
        return this == TIMEOUT || this == CPU_LIMIT || this == MEMORY_LIMIT || this == OUTPUT_LIMIT;
    }
}
