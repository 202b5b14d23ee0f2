package dev.cordon.governor;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One thread per {@code Cordon} that samples every running guest every few milliseconds and trips the
 * limits they pass. Cancelling never happens on this thread (a cancel can block while the guest sits in
 * uninterruptible work); {@link RunMonitor#trip} hands it to the run's own cancel action.
 */
public final class Watchdog implements AutoCloseable {

    /** How often each running guest is sampled. */
    public static final long PERIOD_MILLIS = 5;

    private final Set<Tick> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;

    /** Something sampled on every tick. */
    public interface Tick {
        void tick(long nowNanos);
    }

    public Watchdog() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cordon-watchdog");
            t.setDaemon(true);
            t.setPriority(Thread.MAX_PRIORITY);
            return t;
        });
        timer.scheduleAtFixedRate(this::tickAll, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tickAll() {
        long now = System.nanoTime();
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
        timer.shutdownNow();
    }
}
