package dev.cordon.governor;

import dev.cordon.Durations;
import dev.cordon.Limits;
import dev.cordon.Sizes;
import dev.cordon.Status;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

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
 * looked yet, the monitor asks the {@link HeapView} for one, so that a run which keeps its memory without
 * allocating more is still found.
 */
public final class RunMonitor {

    private final Limits limits;
    private final HeapView heap;
    private final Ticker ticker;
    private final ThreadMeter meter;
    private final AtomicReference<Status> tripped = new AtomicReference<>();
    private volatile String reason = "";
    private volatile long trippedNanos;
    private volatile Runnable cancel = () -> { };
    private volatile LongSupplier cpuSource;
    private volatile LongSupplier allocationSource;

    private volatile Thread thread;
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile boolean begun;
    private volatile boolean ended;
    private volatile long acceptedNanos;
    private volatile boolean accepted;
    private volatile long waitedNanos = -1;
    private volatile long deadlineNanos;
    private volatile long startCpu;
    private volatile long startAllocated;
    private volatile long cpuNanos;
    private volatile long allocatedBytes;
    private volatile long seenCollections;
    private volatile long heapBaseline;
    private volatile long grownAtCollection;

    /**
     * @param ticker the clock of the wall-time limit
     * @param meter  what the guest's thread has used
     */
    public RunMonitor(Limits limits, HeapView heap, Ticker ticker, ThreadMeter meter) {
        this.limits = limits;
        this.heap = heap;
        this.ticker = ticker;
        this.meter = meter;
    }

    public Limits limits() {
        return limits;
    }

    /** What to do when a limit is reached; it must not block. Runs at once if a limit was already reached. */
    public void onTrip(Runnable cancel) {
        this.cancel = cancel;
        if (tripped.get() != null) {
            cancel.run();
        }
    }

    /**
     * Measures CPU time with {@code source} (nanoseconds, monotonic) instead of the guest thread's clock where
     * it answers 0 or more: an external interpreter process does its work outside this JVM. Set before
     * {@link #begin()}.
     */
    public void cpuSource(LongSupplier source) {
        this.cpuSource = source;
    }

    /**
     * Where the bytes the guest allocated come from, for a guest in a process of its own that enforces the
     * memory limit itself (a worker JVM with its own governor): this monitor then reports what it is told and
     * never trips {@link Status#MEMORY_LIMIT} from this JVM's heap, which the guest does not use. Set before
     * {@link #begin()}.
     */
    public void allocationSource(LongSupplier source) {
        this.allocationSource = source;
    }

    /** Whether the guest's memory is someone else's to govern: see {@link #allocationSource}. */
    public boolean memoryElsewhere() {
        return allocationSource != null;
    }

    /**
     * Called when the call is accepted, before it waits for a guest thread: from here its wall time runs, so a
     * call that waits its whole wall time in the queue ends then with TIMEOUT, and no caller waits past its
     * limit for an answer.
     */
    public void accept() {
        acceptedNanos = ticker.read();
        accepted = true;
    }

    /**
     * Called when a guest thread takes the call: the time it waited comes off its wall time. Preparing its
     * sandbox, which follows, does not (it is the host's cost, not the guest's).
     */
    public void pickUp() {
        waitedNanos = accepted ? Math.max(0, ticker.read() - acceptedNanos) : 0;
    }

    /** Whether a guest thread has taken the call. */
    public boolean pickedUp() {
        return waitedNanos >= 0;
    }

    /** The wall time the guest's code has: the limit less what the call waited for a thread. */
    public java.time.Duration timeLeft() {
        return limits.wallTime().minusNanos(Math.max(0, waitedNanos));
    }

    /** Called on the guest's thread right before its code starts: the clocks start here. */
    public void begin() {
        begin(Thread.currentThread());
    }

    /** As {@link #begin()}, for a guest whose code runs on {@code guest}; null: on the calling thread. */
    public void begin(Thread guest) {
        Thread t = guest != null ? guest : Thread.currentThread();
        startCpu = cpuOf(t);
        startAllocated = allocatedBy(t);
        seenCollections = heap.collections();
        heapBaseline = seenCollections > 0 ? heap.usedAfterLastCollection() : heap.usedNow();
        grownAtCollection = 0;
        startNanos = ticker.read();
        deadlineNanos = startNanos + timeLeft().toNanos();
        endNanos = 0;
        ended = false;
        begun = true;
        thread = t;
    }

    /** Called on the guest's thread when its code is done; the clocks stop. */
    public void end() {
        Thread t = thread;
        if (t != null) {
            sample(t);
            endNanos = ticker.read();
            ended = true;
            thread = null;
        }
    }

    public boolean running() {
        return thread != null;
    }

    /** Samples the guest's thread and trips the first limit it is past. Called by the watchdog. */
    public void check(long now) {
        Thread t = thread;
        if (tripped.get() != null) {
            return;
        }
        if (t == null) {
            if (accepted && !begun && now - acceptedNanos >= limits.wallTime().toNanos()) {
                trip(Status.TIMEOUT, "wall-time limit of " + Durations.format(limits.wallTime()) + " reached while the"
                        + (waitedNanos < 0 ? " call waited for a free run slot" : " call's sandbox was being prepared"));
            }
            return;
        }
        sample(t);
        if (now >= deadlineNanos) {
            trip(Status.TIMEOUT, "wall-time limit of " + Durations.format(limits.wallTime()) + " reached");
        } else if (cpuNanos >= limits.cpuTime().toNanos()) {
            trip(Status.CPU_LIMIT, "CPU-time limit of " + Durations.format(limits.cpuTime()) + " reached");
        } else if (memoryElsewhere()) {
            return;
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
            trippedNanos = ticker.read();
            cancel.run();
        }
    }

    /** The limit reached, or null. */
    public Status tripped() {
        return tripped.get();
    }

    /** When the limit was reached, in the ticker's terms. */
    public long trippedNanos() {
        return trippedNanos;
    }

    public String reason() {
        return reason;
    }

    /**
     * The wall time the limit counts: what the call waited for a thread, then its guest's time from
     * {@link #begin()} to {@link #end()} (preparing the sandbox between the two is not counted).
     */
    public long wallNanos() {
        if (!begun) {
            return 0;
        }
        return (ended ? endNanos : ticker.read()) - startNanos + Math.max(0, waitedNanos);
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

    /** Samples the guest's thread now (the watchdog's thread only), if the run is going on. */
    public void sampleNow() {
        Thread t = thread;
        if (t != null) {
            sample(t);
        }
    }

    private void sample(Thread t) {
        long cpu = cpuOf(t);
        if (cpu >= 0) {
            // Never less than a sample before: CPU time only grows, and once a sandbox's run is over its source
            // may measure the call's own thread alone, without the guest threads it ran.
            cpuNanos = Math.max(cpuNanos, Math.max(0, cpu - startCpu));
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
        LongSupplier source = cpuSource;
        long external = source == null ? -1 : source.getAsLong();
        return external >= 0 ? external : meter.cpuNanos(t);
    }

    private long allocatedBy(Thread t) {
        LongSupplier source = allocationSource;
        return source != null ? source.getAsLong() : meter.allocatedBytes(t);
    }
}
