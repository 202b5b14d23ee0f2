package dev.cordon;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool of guest threads: {@code slots} threads, and places for {@code slots + queued} calls at
 * once, past which a call is refused ({@link #admit}). A call holds its place until its caller has its answer,
 * not until its thread is free: a guest still draining after its call was answered at a limit keeps its thread
 * (so later calls wait behind it, their wall time running) but not its place. Counts the threads at work and
 * lets a caller wait until none is, without polling.
 *
 * <p>Guest code runs on platform threads, never on virtual threads (a GraalVM bug disables CPU limits after
 * one run on a virtual thread). GraalPy turns a Java stack overflow into RecursionError, so the stack size
 * bounds how deep a runaway recursion goes before it ends.
 */
final class GuestPool extends ThreadPoolExecutor {

    private final AtomicInteger busy = new AtomicInteger();
    private final Object idle = new Object();
    private final Semaphore places;

    GuestPool(int slots, int queued) {
        super(slots, slots, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new GuestThreads());
        allowCoreThreadTimeOut(true);
        this.places = new Semaphore(slots + queued);
    }

    /** Takes a place for one call if one is free; the caller gives it back with {@link #leave()}. */
    boolean admit() {
        return places.tryAcquire();
    }

    /** Gives back a call's place, once its caller has its answer. */
    void leave() {
        places.release();
    }

    @Override
    protected void beforeExecute(Thread t, Runnable r) {
        busy.incrementAndGet();
        super.beforeExecute(t, r);
    }

    @Override
    protected void afterExecute(Runnable r, Throwable t) {
        super.afterExecute(r, t);
        busy.decrementAndGet();
        synchronized (idle) {
            idle.notifyAll();
        }
    }

    /** Guest threads at work now, draining ones included. */
    int busy() {
        return busy.get();
    }

    /** Waits until no guest thread is at work and no call waits for one; false if {@code timeout} passed first. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (busy.get() > 0 || !getQueue().isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
            return true;
        }
    }

    private static final class GuestThreads implements ThreadFactory {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(null, r, "cordon-guest-" + next.incrementAndGet(), 16L << 20);
            t.setDaemon(true);
            return t;
        }
    }
}
