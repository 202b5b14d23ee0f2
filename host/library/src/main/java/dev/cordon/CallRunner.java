package dev.cordon;

import dev.cordon.engine.Engine;
import dev.cordon.governor.HeapView;
import dev.cordon.governor.ThreadMeter;
import dev.cordon.governor.Ticker;
import dev.cordon.governor.Watchdog;

import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Runs calls on an engine within their limits: the machinery every call shares, handed in by the
 * {@code Cordon} that owns it. The guest threads come from {@code guests}, a bounded pool; the
 * {@code watchdog} samples every running call; the {@code heapGuard} says when the heap is under pressure,
 * and the runner then stops the call that allocated the most, once per collection. A guest thread still at
 * work {@code abandonAfter} past its call's answer is given up ({@link GuestPool#abandon}).
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
    private final Duration abandonAfter;
    private final Set<GuestCall> running = ConcurrentHashMap.newKeySet();
    /** Calls answered while their guest thread was still at work, with when they were answered. */
    private final Map<GuestCall, Long> draining = new ConcurrentHashMap<>();
    private volatile long handledCollection;
    private volatile boolean closed;

    CallRunner(Engine engine, CallCapabilities capabilities, GuestPool guests, Watchdog watchdog,
               HeapView heapGuard, Ticker ticker, ThreadMeter meter, Duration grace, Duration abandonAfter) {
        this.engine = engine;
        this.capabilities = capabilities;
        this.guests = guests;
        this.watchdog = watchdog;
        this.heapGuard = heapGuard;
        this.ticker = ticker;
        this.meter = meter;
        this.grace = grace;
        this.abandonAfter = abandonAfter;
        watchdog.watch(this::guardHeap);
        watchdog.watch(this::abandonStuck);
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

    /** Notes that {@code call} was answered while its guest thread is still at work. */
    void draining(GuestCall call) {
        draining.put(call, ticker.read());
    }

    /** Gives up on the guest threads still at work {@code abandonAfter} after their call was answered. */
    private void abandonStuck(long now) {
        draining.forEach((call, answered) -> {
            Thread thread = call.guestThread();
            if (thread == null) {
                draining.remove(call);
            } else if (now - answered >= abandonAfter.toNanos() && guests.abandon(thread, () -> call.guestThread() == thread)) {
                draining.remove(call);
                LOG.warning(() -> "gave up on guest thread " + thread.getName() + ", still at work "
                        + Durations.format(Duration.ofNanos(now - answered)) + " after its call was answered at a "
                        + "limit (stuck where no cancel reaches); another thread takes its place, and whatever it "
                        + "holds stays in this JVM's heap until it ends");
            }
        });
    }

    private static final Logger LOG = Logger.getLogger("dev.cordon");

    /**
     * Once per full garbage collection that leaves the heap under pressure, stops the running call that has
     * allocated the most: the other calls and the host keep their memory.
     */
    private void guardHeap(long now) {
        if (!heapGuard.underPressure() || heapGuard.fullCollections() == handledCollection) {
            return;
        }
        handledCollection = heapGuard.fullCollections();
        // Each call measured at this collection, not some at the last one: otherwise a call sampled before the
        // collection would look as if it kept nothing, and the guard would stop a lighter one.
        running.forEach(GuestCall::sample);
        running.stream().filter(GuestCall::stoppable)
                .max(Comparator.comparingLong(GuestCall::keptBytes).thenComparingLong(GuestCall::allocatedBytes))
                .ifPresent(c -> c.stopForHeapPressure(heapGuard.liveAfterFullCollection(), heapGuard.max()));
    }

    /** Guest threads at work now, including those still draining after their call returned at a limit. */
    int activeGuestThreads() {
        return guests.busy();
    }

    /** Guest threads given up on that have not ended. */
    int abandonedGuestThreads() {
        return guests.abandoned();
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
