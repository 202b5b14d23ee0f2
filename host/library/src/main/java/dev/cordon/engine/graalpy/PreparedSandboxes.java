package dev.cordon.engine.graalpy;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Contexts booted ahead of demand, so that a call's latency does not include GraalPy's start-up. A
 * background thread keeps up to {@code size} of them ready; a call {@link #take takes} one or, when
 * none is ready, opens its own. With modules to preload, a context is ready as soon as it is booted, and
 * then, while no call runs, has the modules imported; a call takes such a context first. Each prepared
 * context serves exactly one call and is closed after it: nothing one call leaves in a context can reach
 * another. Preparing costs the same CPU as opening on
 * demand, so this lowers latency while the process has spare time; it does not raise throughput.
 */
final class PreparedSandboxes implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger("dev.cordon.graalpy");

    private final GraalPyRuntime runtime;
    private final String world;
    /** Booted contexts, and those that have the preloaded modules too; {@code wanted} bounds them together. */
    private final Queue<GraalPySandbox> booted = new ConcurrentLinkedQueue<>();
    private final Queue<GraalPySandbox> loaded = new ConcurrentLinkedQueue<>();
    /** Places for contexts: one is taken while a context is booted, held while it is ready, given back at a take. */
    private final Semaphore wanted;
    private final Thread preparer;
    private final BooleanSupplier busy;
    private final boolean betweenCalls;
    /** The standard modules each prepared context imports before its call; a name that fails is dropped. */
    private volatile java.util.List<String> preload;
    private volatile boolean closed;

    /** The most a context's preloading may spend compiling a module for the engine's shared form. */
    private static final java.time.Duration PRELOAD_COMPILE = java.time.Duration.ofSeconds(20);

    /**
     * Starts preparing {@code size} contexts at once.
     *
     * @param busy whether calls are running now: while they are and a context is still ready, the next one
     *             waits, so that preparing does not take the CPU from the calls it is meant to speed up
     * @param betweenCalls whether to wait while calls run even when no context is ready (a worker process,
     *             whose one call should have the process to itself)
     * @param preload standard modules to import into each prepared context before its call
     */
    PreparedSandboxes(GraalPyRuntime runtime, String world, int size, BooleanSupplier busy, boolean betweenCalls,
                      java.util.List<String> preload) {
        if (size < 1) {
            throw new IllegalArgumentException("a pool prepares at least one context");
        }
        this.runtime = runtime;
        this.world = world;
        this.busy = busy;
        this.betweenCalls = betweenCalls;
        this.preload = java.util.List.copyOf(preload);
        this.wanted = new Semaphore(size);
        this.preparer = Thread.ofPlatform().daemon().name("cordon-prepare").unstarted(this::prepareLoop);
        preparer.setPriority(Thread.MIN_PRIORITY);
        preparer.start();
    }

    /** A prepared context, or null when none is ready (the caller then opens one itself). */
    GraalPySandbox take() {
        GraalPySandbox s = loaded.poll();
        if (s == null) {
            s = booted.poll();
        }
        if (s != null) {
            wanted.release();
        }
        return s;
    }

    /** How many contexts are ready now. */
    int ready() {
        return booted.size() + loaded.size();
    }

    private void prepareLoop() {
        while (!closed) {
            try {
                if (preload.isEmpty()) {
                    wanted.acquire();
                } else if (!wanted.tryAcquire(5, TimeUnit.MILLISECONDS)) {
                    // Every place is taken: import the modules into a context that lacks them.
                    preloadOne();
                    continue;
                }
                while (!closed && (betweenCalls || ready() > 0) && busy.getAsBoolean()) {
                    Thread.sleep(2);
                }
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                booted.add(GraalPySandbox.prepareOwned(runtime, world));
                if (closed) {
                    closeReady();
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

    /**
     * Imports the preloaded modules into one booted context, if no call runs now. A module that cannot be loaded
     * (a name that is not a standard module, or one the sandbox refuses) is logged once and not tried again: the
     * calls import it, or fail to, as they would without preloading.
     */
    private void preloadOne() {
        java.util.List<String> modules = preload;
        if (modules.isEmpty() || busy.getAsBoolean()) {
            return;
        }
        GraalPySandbox s = booted.poll();
        if (s == null) {
            return;
        }
        String failed;
        try {
            failed = s.preload(modules, PRELOAD_COMPILE);
        } catch (RuntimeException e) {
            // Closing, or GraalPy failed in the import: the context is not used.
            LOG.log(Level.FINE, "could not preload modules into a context", e);
            s.close();
            wanted.release();
            return;
        }
        loaded.add(s);
        if (closed) {
            closeReady();
        }
        if (failed.isEmpty()) {
            return;
        }
        synchronized (this) {
            java.util.List<String> kept = new java.util.ArrayList<>(preload);
            for (String line : failed.split("\n")) {
                if (kept.remove(line.substring(0, Math.max(0, line.indexOf(':'))))) {
                    LOG.warning("a module to preload into prepared contexts was left out: " + line);
                }
            }
            preload = java.util.List.copyOf(kept);
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
        closeReady();
    }

    private void closeReady() {
        GraalPySandbox s;
        while ((s = booted.poll()) != null || (s = loaded.poll()) != null) {
            s.close();
        }
    }
}
