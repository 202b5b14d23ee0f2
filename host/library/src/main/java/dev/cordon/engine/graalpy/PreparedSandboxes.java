package dev.cordon.engine.graalpy;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Contexts booted ahead of demand, so that a call's latency does not include GraalPy's start-up. A
 * background thread keeps up to {@code size} of them ready; a call {@link #take takes} one or, when
 * none is ready, opens its own. Each prepared context serves exactly one call and is closed after it:
 * nothing one call leaves in a context can reach another. Preparing costs the same CPU as opening on
 * demand, so this lowers latency while the process has spare time; it does not raise throughput.
 */
final class PreparedSandboxes implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger("dev.cordon.graalpy");

    private final GraalPyRuntime runtime;
    private final String world;
    private final BlockingQueue<GraalPySandbox> ready;
    private final Semaphore wanted;
    private final Thread preparer;
    private final BooleanSupplier busy;
    private final boolean betweenCalls;
    private volatile boolean closed;

    /**
     * Starts preparing {@code size} contexts at once.
     *
     * @param busy whether calls are running now: while they are and a context is still ready, the next one
     *             waits, so that preparing does not take the CPU from the calls it is meant to speed up
     * @param betweenCalls whether to wait while calls run even when no context is ready (a worker process,
     *             whose one call should have the process to itself)
     */
    PreparedSandboxes(GraalPyRuntime runtime, String world, int size, BooleanSupplier busy, boolean betweenCalls) {
        if (size < 1) {
            throw new IllegalArgumentException("a pool prepares at least one context");
        }
        this.runtime = runtime;
        this.world = world;
        this.busy = busy;
        this.betweenCalls = betweenCalls;
        this.ready = new LinkedBlockingQueue<>(size);
        this.wanted = new Semaphore(size);
        this.preparer = Thread.ofPlatform().daemon().name("cordon-prepare").unstarted(this::prepareLoop);
        preparer.setPriority(Thread.MIN_PRIORITY);
        preparer.start();
    }

    /** A prepared context, or null when none is ready (the caller then opens one itself). */
    GraalPySandbox take() {
        GraalPySandbox s = ready.poll();
        if (s != null) {
            wanted.release();
        }
        return s;
    }

    /** How many contexts are ready now. */
    int ready() {
        return ready.size();
    }

    private void prepareLoop() {
        while (!closed) {
            try {
                wanted.acquire();
            } catch (InterruptedException e) {
                return;
            }
            try {
                while (!closed && (betweenCalls || !ready.isEmpty()) && busy.getAsBoolean()) {
                    Thread.sleep(2);
                }
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                GraalPySandbox s = GraalPySandbox.prepare(runtime, world);
                if (closed || !ready.offer(s)) {
                    s.close();
                }
            } catch (RuntimeException e) {
                // The runtime is closing, or GraalPy failed to start a context: calls open their own.
                LOG.log(Level.FINE, "could not prepare a context", e);
                wanted.release();
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Stops preparing and closes the contexts no call took. */
    @Override
    public void close() {
        closed = true;
        preparer.interrupt();
        try {
            preparer.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        GraalPySandbox s;
        while ((s = ready.poll()) != null) {
            s.close();
        }
    }
}
