package dev.cordon.governor;

/**
 * The heap as the governor sees it: what survived the last collection, how many collections there have been,
 * and a way to ask for one. {@link HeapGuard} is the JVM's; tests give their own.
 */
public interface HeapView extends AutoCloseable {

    /** How many collections have been seen: the governor acts at most once per collection. */
    long collections();

    /** The heap that survived the last collection, in bytes. */
    long usedAfterLastCollection();

    /** The heap in use now, garbage included. */
    long usedNow();

    /** The maximum heap. */
    long max();

    /** How many collections of the whole heap have been seen: the heap guard acts at most once per one. */
    long fullCollections();

    /** The heap that survived the last collection of the whole heap, in bytes: what is live. */
    long liveAfterFullCollection();

    /** Whether what survived the last full collection passes the fraction of the maximum that may. */
    boolean underPressure();

    /** Asks for a collection, so that what runs keep alive gets measured. */
    void requestCollection();

    /** Stops watching. */
    @Override
    void close();
}
