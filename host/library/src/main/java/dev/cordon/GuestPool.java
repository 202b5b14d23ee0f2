package dev.cordon;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The bounded pool of guest threads: {@code slots} threads, and places for {@code slots + queued} calls at
 * once, past which a call is refused ({@link #admit}). A call holds its place until its caller has its answer,
 * not until its thread is free: a guest still draining after its call was answered at a limit keeps its thread
 * (so later calls wait behind it, their wall time running) but not its place. Counts the threads at work and
 * lets a caller wait until none is, without polling.
 *
 * <p>A thread that does not end long after its call was answered (stuck in the engine itself, where no cancel
 * reaches) can be given up ({@link #abandon}): it stops counting as busy and the pool gets a thread in its
 * place, so that one stuck guest does not take a slot for the rest of the process's life. At most
 * {@code slots} threads are given up at once, so that the threads alive stay within twice the slots.
 *
 * <p>Guest code runs on platform threads, never on virtual threads (a GraalVM bug disables CPU limits after
 * one run on a virtual thread). GraalPy turns a Java stack overflow into RecursionError, so the stack size
 * bounds how deep a runaway recursion goes before it ends.
 */
final class GuestPool extends ThreadPoolExecutor {

    private final AtomicInteger busy = new AtomicInteger();
    private final Object idle = new Object();
    private final Semaphore places;
    private final int slots;
    private final Set<Thread> abandoned = ConcurrentHashMap.newKeySet();

    GuestPool(int slots, int queued) {
        super(slots, slots, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new GuestThreads());
        allowCoreThreadTimeOut(true);
        this.places = new Semaphore(slots + queued);
        this.slots = slots;
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
        synchronized (idle) {
            if (abandoned.remove(Thread.currentThread())) {
                // It ended after all: the thread that took its place stays, and this one leaves the pool.
                setCorePoolSize(getCorePoolSize() - 1);
                setMaximumPoolSize(getMaximumPoolSize() - 1);
            } else {
                busy.decrementAndGet();
            }
            idle.notifyAll();
        }
    }

    /**
     * Gives up on {@code thread}, at work on a call whose caller has long had its answer, if it is still at work
     * ({@code stillAtWork}, read under the pool's lock so that the thread cannot end in between) and fewer than
     * {@code slots} threads are given up already. It no longer counts as busy and the pool starts another in
     * its place; if it ever ends, it leaves the pool.
     *
     * @return whether it was given up
     */
    boolean abandon(Thread thread, BooleanSupplier stillAtWork) {
        synchronized (idle) {
            if (!stillAtWork.getAsBoolean() || abandoned.size() >= slots || !abandoned.add(thread)) {
                return false;
            }
            busy.decrementAndGet();
            setMaximumPoolSize(getMaximumPoolSize() + 1);
            setCorePoolSize(getCorePoolSize() + 1);
            idle.notifyAll();
            return true;
        }
    }

    /** Threads given up on ({@link #abandon}) that have not ended. */
    int abandoned() {
        synchronized (idle) {
            return abandoned.size();
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
