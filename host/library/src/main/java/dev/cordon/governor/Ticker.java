package dev.cordon.governor;

/**
 * A monotonic clock in nanoseconds: the governor's only source of time, so that tests of limits run on a
 * clock they advance themselves instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

    /** Nanoseconds since an arbitrary origin; only differences mean anything. */
    long read();

    /** The JVM's monotonic clock. */
    static Ticker system() {
        return System::nanoTime;
    }
}
