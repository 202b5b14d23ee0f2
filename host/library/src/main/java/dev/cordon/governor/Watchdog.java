package dev.cordon.governor;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One thread per {@code Cordon} that samples every running guest every few milliseconds and trips the
 * limits they pass. Cancelling never happens on this thread (a cancel can block while the guest sits in
 * uninterruptible work); {@link RunMonitor#trip} hands it to the run's own cancel action.
 */
public final class Watchdog implements AutoCloseable {

    /** How often each running guest is sampled. */
    public static final long PERIOD_MILLIS = 5;

    private final Set<Tick> watched = ConcurrentHashMap.newKeySet();
    private final Ticker ticker;
    private final Scheduler scheduler;

    /** Something sampled on every tick. */
    public interface Tick {
        void tick(long nowNanos);
    }

    /** A watchdog on its own thread and the JVM's clock. */
    public Watchdog() {
        this(Ticker.system(), Scheduler.daemon("cordon-watchdog"));
    }

    /** A watchdog that reads {@code ticker} every {@link #PERIOD_MILLIS} of {@code scheduler}. */
    public Watchdog(Ticker ticker, Scheduler scheduler) {
        this.ticker = ticker;
        this.scheduler = scheduler;
        scheduler.every(Duration.ofMillis(PERIOD_MILLIS), this::tickAll);
    }

    private void tickAll() {
        long now = ticker.read();
        for (Tick t : watched) {
            try {
                t.tick(now);
            } catch (RuntimeException e) {
                // One broken run must not stop the watch over the others.
                watched.remove(t);
            }
        }
    }

    public void watch(Tick tick) {
        watched.add(tick);
    }

    public void unwatch(Tick tick) {
        watched.remove(tick);
    }

    @Override
    public void close() {
        scheduler.close();
    }
}
