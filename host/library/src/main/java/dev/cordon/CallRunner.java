package dev.cordon;

import dev.cordon.engine.Engine;
import dev.cordon.governor.HeapView;
import dev.cordon.governor.ThreadMeter;
import dev.cordon.governor.Ticker;
import dev.cordon.governor.Watchdog;

import java.time.Duration;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs calls on an engine within their limits: the machinery every call shares, handed in by the
 * {@code Cordon} that owns it. The guest threads come from {@code guests}, a bounded pool; the
 * {@code watchdog} samples every running call; the {@code heapGuard} says when the heap is under pressure,
 * and the runner then stops the call that allocated the most, once per collection.
 */
final class CallRunner {

    final Engine engine;
    final CallCapabilities capabilities;
    final GuestPool guests;
    final Watchdog watchdog;
    final HeapView heapGuard;
    final Ticker ticker;
    final ThreadMeter meter;
    final Duration grace;
    private final Set<GuestCall> running = ConcurrentHashMap.newKeySet();
    private volatile long handledCollection;
    private volatile boolean closed;

    CallRunner(Engine engine, CallCapabilities capabilities, GuestPool guests, Watchdog watchdog,
               HeapView heapGuard, Ticker ticker, ThreadMeter meter, Duration grace) {
        this.engine = engine;
        this.capabilities = capabilities;
        this.guests = guests;
        this.watchdog = watchdog;
        this.heapGuard = heapGuard;
        this.ticker = ticker;
        this.meter = meter;
        this.grace = grace;
        watchdog.watch(this::guardHeap);
    }

    boolean closed() {
        return closed;
    }

    /** Whether any call's guest code is running now (preparing interpreters yields to them). */
    boolean busy() {
        return !running.isEmpty();
    }

    void started(GuestCall call) {
        running.add(call);
    }

    void ended(GuestCall call) {
        running.remove(call);
    }

    /**
     * Once per garbage collection that leaves the heap under pressure, stops the running call that has
     * allocated the most: the other calls and the host keep their memory.
     */
    private void guardHeap(long now) {
        if (!heapGuard.underPressure() || heapGuard.collections() == handledCollection) {
            return;
        }
        handledCollection = heapGuard.collections();
        // Each call measured at this collection, not some at the last one: otherwise a call sampled before the
        // collection would look as if it kept nothing, and the guard would stop a lighter one.
        running.forEach(GuestCall::sample);
        running.stream().filter(GuestCall::stoppable)
                .max(Comparator.comparingLong(GuestCall::keptBytes).thenComparingLong(GuestCall::allocatedBytes))
                .ifPresent(c -> c.stopForHeapPressure(heapGuard.usedAfterLastCollection(), heapGuard.max()));
    }

    /** Guest threads at work now, including those still draining after their call returned at a limit. */
    int activeGuestThreads() {
        return guests.busy();
    }

    /**
     * Stops accepting calls and cancels running ones, then releases the engine: at once when every guest
     * thread stopped within a second, else in the background once they have (a guest inside work that
     * cannot be interrupted would otherwise block the caller until it ends).
     */
    void close() {
        closed = true;
        guests.shutdownNow();
        boolean stopped;
        try {
            stopped = guests.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        watchdog.close();
        heapGuard.close();
        if (stopped) {
            engine.close();
        } else {
            Thread release = new Thread(() -> {
                try {
                    guests.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                engine.close();
            }, "cordon-release");
            release.setDaemon(true);
            release.start();
        }
    }
}
