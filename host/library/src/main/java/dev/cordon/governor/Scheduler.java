package dev.cordon.governor;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task periodically: the governor's only source of threads that wake up on their own, so that tests
 * can run each period themselves.
 */
public interface Scheduler extends AutoCloseable {

    /** Runs {@code task} every {@code period} until {@link #close()}. */
    void every(Duration period, Runnable task);

    /** Stops running the tasks. */
    @Override
    void close();

    /** One daemon thread of the highest priority, named {@code name}. */
    static Scheduler daemon(String name) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.setPriority(Thread.MAX_PRIORITY);
            return t;
        });
        return new Scheduler() {
            @Override
            public void every(Duration period, Runnable task) {
                timer.scheduleAtFixedRate(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
            }

            @Override
            public void close() {
                timer.shutdownNow();
            }
        };
    }
}
