package dev.cordon;

/**
 * What a call consumed while the guest's code ran (preparing the sandbox is not charged to it).
 *
 * @param wallMillis     elapsed time
 * @param cpuMillis      CPU time of the thread that ran the guest, and of the guest threads it started
 * @param allocatedBytes bytes allocated by that thread
 * @param stdoutBytes    bytes the guest wrote to stdout, including any past the limit
 * @param stderrBytes    bytes the guest wrote to stderr, including any past the limit
 * @param prepareMillis  time spent preparing the sandbox before the guest's code started
 */
public record Usage(long wallMillis, long cpuMillis, long allocatedBytes, long stdoutBytes, long stderrBytes,
                    long prepareMillis) {

    /** Nothing consumed, for calls that never ran. */
    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0);
}
