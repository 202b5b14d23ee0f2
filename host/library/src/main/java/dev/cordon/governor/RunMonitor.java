package dev.cordon.governor;

import dev.cordon.Durations;
import dev.cordon.Limits;
import dev.cordon.Sizes;
import dev.cordon.Status;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The limits of one run, checked from outside by the {@link Watchdog} while the guest's code runs on its
 * own thread. The first limit reached wins: it is recorded and {@code cancel} runs once.
 *
 * <p>Memory is the memory a run keeps alive, which the JVM cannot count per thread. What it can count are
 * the bytes a thread allocates (garbage included) and the heap that survives each collection (everyone's).
 * A run cannot keep more than it allocated, nor more than the heap grew since it started, so the smaller
 * of the two, taken at the last collection, bounds what it keeps: the run is stopped when that bound
 * reaches its limit. A loop that only makes garbage allocates without end and is never stopped for it.
 * When a run has allocated past its limit and the heap has grown that much too but no collection has
 * looked yet, the monitor asks the {@link HeapGuard} for one, so that a run which keeps its memory without
 * allocating more is still found.
 */
public final class RunMonitor {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.ThreadMXBean SUN_THREADS =
            THREADS instanceof com.sun.management.ThreadMXBean s ? s : null;

    private final Limits limits;
    private final HeapGuard heap;
    private final AtomicReference<Status> tripped = new AtomicReference<>();
    private volatile String reason = "";
    private volatile long trippedNanos;
    private volatile Runnable cancel = () -> { };
    private volatile java.util.function.LongSupplier cpuSource;

    private volatile Thread thread;
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile long startCpu;
    private volatile long startAllocated;
    private volatile long cpuNanos;
    private volatile long allocatedBytes;
    private volatile long seenCollections;
    private volatile long heapBaseline;
    private volatile long grownAtCollection;

    public RunMonitor(Limits limits, HeapGuard heap) {
        this.limits = limits;
        this.heap = heap;
    }

    public Limits limits() {
        return limits;
    }

    /** What to do when a limit is reached; it must not block. */
    public void onTrip(Runnable cancel) {
        this.cancel = cancel;
    }

    /**
     * Measures CPU time with {@code source} (nanoseconds, monotonic) instead of the guest thread's clock: an
     * external interpreter process does its work outside this JVM. Set before {@link #begin()}.
     */
    public void cpuSource(java.util.function.LongSupplier source) {
        this.cpuSource = source;
    }

    /** Called on the guest's thread right before its code starts: the clocks start here. */
    public void begin() {
        Thread t = Thread.currentThread();
        startCpu = cpuOf(t);
        startAllocated = allocatedBy(t);
        seenCollections = heap.collections();
        heapBaseline = seenCollections > 0 ? heap.usedAfterLastCollection() : heap.usedNow();
        grownAtCollection = 0;
        startNanos = System.nanoTime();
        endNanos = 0;
        thread = t;
    }

    /** Called on the guest's thread when its code is done; the clocks stop. */
    public void end() {
        Thread t = thread;
        if (t != null) {
            sample(t);
            endNanos = System.nanoTime();
            thread = null;
        }
    }

    public boolean running() {
        return thread != null;
    }

    /** Samples the guest's thread and trips the first limit it is past. Called by the watchdog. */
    public void check(long now) {
        Thread t = thread;
        if (t == null || tripped.get() != null) {
            return;
        }
        sample(t);
        long wall = now - startNanos;
        if (wall >= limits.wallTime().toNanos()) {
            trip(Status.TIMEOUT, "wall-time limit of " + Durations.format(limits.wallTime()) + " reached");
        } else if (cpuNanos >= limits.cpuTime().toNanos()) {
            trip(Status.CPU_LIMIT, "CPU-time limit of " + Durations.format(limits.cpuTime()) + " reached");
        } else if (keptBytes() >= limits.memoryBytes()) {
            trip(Status.MEMORY_LIMIT, "memory limit of " + Sizes.format(limits.memoryBytes()) + " reached ("
                    + Sizes.format(keptBytes()) + " kept alive after a collection)");
        } else if (allocatedBytes >= limits.memoryBytes()
                && heap.usedNow() - heapBaseline >= limits.memoryBytes()) {
            heap.requestCollection();
        }
    }

    /** Records the limit reached (the first one wins) and cancels the guest. */
    public void trip(Status status, String why) {
        if (tripped.compareAndSet(null, status)) {
            reason = why;
            trippedNanos = System.nanoTime();
            cancel.run();
        }
    }

    /** The limit reached, or null. */
    public Status tripped() {
        return tripped.get();
    }

    /** When the limit was reached, in {@link System#nanoTime()} terms. */
    public long trippedNanos() {
        return trippedNanos;
    }

    public String reason() {
        return reason;
    }

    /** Nanoseconds since {@link #begin()}, up to {@link #end()}. */
    public long wallNanos() {
        if (startNanos == 0) {
            return 0;
        }
        return (endNanos != 0 ? endNanos : System.nanoTime()) - startNanos;
    }

    public long cpuNanos() {
        return cpuNanos;
    }

    public long allocatedBytes() {
        return allocatedBytes;
    }

    /**
     * At most what this run kept alive at the last collection: the smaller of what it allocated and what the
     * heap grew since it started (everyone's growth, so an overestimate when other runs grow too).
     */
    public long keptBytes() {
        return Math.min(allocatedBytes, grownAtCollection);
    }

    /** When the wall-time limit expires, in {@link System#nanoTime()} terms; 0 before the start. */
    public long deadlineNanos() {
        return startNanos == 0 ? 0 : startNanos + limits.wallTime().toNanos();
    }

    private void sample(Thread t) {
        long cpu = cpuOf(t);
        if (cpu >= 0) {
            cpuNanos = Math.max(0, cpu - startCpu);
        }
        long allocated = allocatedBy(t);
        if (allocated >= 0) {
            allocatedBytes = Math.max(0, allocated - startAllocated);
        }
        long collections = heap.collections();
        if (collections != seenCollections) {
            seenCollections = collections;
            long live = heap.usedAfterLastCollection();
            // A collection can find the heap smaller than at the start (old garbage went): measure from there.
            heapBaseline = Math.min(heapBaseline, live);
            grownAtCollection = live - heapBaseline;
        }
    }

    private long cpuOf(Thread t) {
        java.util.function.LongSupplier source = cpuSource;
        if (source != null) {
            return source.getAsLong();
        }
        return THREADS.isThreadCpuTimeSupported() ? THREADS.getThreadCpuTime(t.threadId()) : -1;
    }

    private static long allocatedBy(Thread t) {
        return SUN_THREADS != null ? SUN_THREADS.getThreadAllocatedBytes(t.threadId()) : -1;
    }
}
