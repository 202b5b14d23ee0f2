package dev.cordon.governor;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Time, threads and the heap as a test says they are: a clock that moves only when told, a scheduler whose
 * periods pass only when the test runs them, a thread meter and a heap whose figures the test sets. Limits are
 * tested on these without a single sleep.
 */
public final class FakeTime implements Ticker, Scheduler, ThreadMeter {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<Runnable> tasks = new CopyOnWriteArrayList<>();
    private final Map<Thread, long[]> threads = new ConcurrentHashMap<>();

    @Override
    public long read() {
        return nanos.get();
    }

    /** Moves the clock on. */
    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Override
    public void every(Duration period, Runnable task) {
        tasks.add(task);
    }

    /** One period of every scheduled task, on the calling thread. */
    public void tick() {
        tasks.forEach(Runnable::run);
    }

    @Override
    public void close() {
        tasks.clear();
    }

    /** Sets what a thread has used: its CPU time and the bytes it allocated. */
    public void used(Thread thread, Duration cpu, long allocated) {
        threads.put(thread, new long[]{cpu.toNanos(), allocated});
    }

    @Override
    public long cpuNanos(Thread thread) {
        long[] u = threads.get(thread);
        return u == null ? 0 : u[0];
    }

    @Override
    public long allocatedBytes(Thread thread) {
        long[] u = threads.get(thread);
        return u == null ? 0 : u[1];
    }

    /** A heap whose figures the test sets. */
    public static final class Heap implements HeapView {
        public volatile long collections;
        public volatile long usedAfterLastCollection;
        public volatile long usedNow;
        public volatile long max = 1L << 30;
        public volatile boolean underPressure;
        public final AtomicInteger requested = new AtomicInteger();

        /** A collection happened and left {@code live} bytes. */
        public void collected(long live) {
            usedAfterLastCollection = live;
            usedNow = live;
            collections++;
        }

        @Override
        public long fullCollections() {
            return collections;
        }

        @Override
        public long liveAfterFullCollection() {
            return usedAfterLastCollection;
        }

        @Override
        public long collections() {
            return collections;
        }

        @Override
        public long usedAfterLastCollection() {
            return usedAfterLastCollection;
        }

        @Override
        public long usedNow() {
            return usedNow;
        }

        @Override
        public long max() {
            return max;
        }

        @Override
        public boolean underPressure() {
            return underPressure;
        }

        @Override
        public void requestCollection() {
            requested.incrementAndGet();
        }

        @Override
        public void close() {
        }
    }
}
