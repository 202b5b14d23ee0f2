package dev.cordon.engine.graalpy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The guarded form of the guest's own modules (the files it imports from a mount or from its {@code /tmp}),
 * shared by every context of the runtime. Each context used to rewrite every such module on import, a second
 * or more for a large one (CPython's {@code test.support}: 1.5 s), however often the same file had been
 * imported before.
 *
 * <p>A guest context cannot fill this cache: its guard and its compiler are the guest's to change once guest
 * code has run there. The shared form is made by a context of its own that never runs guest code, on one
 * background thread: the context that asked first compiles for itself that time, and later imports of the same
 * text under the same name, in any context, get the shared form (as text, a source whose code the engine
 * already holds; else marshalled code). A compile that runs past {@code patience} (a pathological source) closes
 * that compiler context and the next request gets a new one; requests beyond a short queue are dropped, so no
 * guest ever waits on another's module. Thread-safe.
 */
final class SharedModules implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger("dev.cordon.graalpy");

    /** Modules larger than this (in characters) are compiled by each context for itself. */
    static final int MAX_CHARS = 512 * 1024;
    private static final int QUEUE = 32;

    private final GuardedCode forms;
    private final Supplier<GraalPySandbox> compilers;
    private final Duration patience;
    private final ThreadPoolExecutor worker;
    private final ScheduledExecutorService watchdog;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    /** The compiler context, used by the worker thread only; null until needed or after a failure. */
    private GraalPySandbox compiler;
    private volatile boolean closed;

    /**
     * @param forms     where the shared forms are kept (the runtime's cache of guarded programs)
     * @param compilers makes a fresh context that no guest code will ever run in
     * @param patience  the longest one module's compile may take
     */
    SharedModules(GuardedCode forms, Supplier<GraalPySandbox> compilers, Duration patience) {
        this.forms = forms;
        this.compilers = compilers;
        this.patience = patience;
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(QUEUE),
                Thread.ofPlatform().daemon().name("cordon-module-compiler").factory());
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("cordon-module-watchdog").factory());
    }

    /**
     * The shared form of module {@code text} compiled as {@code filename}: "t" and the guarded text, or "m" and
     * the marshalled code as Latin-1 characters; null when there is none yet (it is then made in the
     * background, and the caller compiles for itself).
     */
    String form(String filename, String text) {
        if (closed || filename == null || text == null || text.length() > MAX_CHARS) {
            return null;
        }
        GuardedCode.Form form = forms.get(filename, text);
        if (form != null) {
            return (form.isSource() ? "t" : "m") + form.text();
        }
        String key = filename + '\0' + text;
        if (pending.add(key)) {
            try {
                worker.execute(() -> compile(key, filename, text));
            } catch (RejectedExecutionException e) {
                pending.remove(key);   // the queue is full: asked again by a later import
            }
        }
        return null;
    }

    private void compile(String key, String filename, String text) {
        try {
            if (closed || forms.get(filename, text) != null) {
                return;
            }
            if (compiler == null) {
                compiler = compilers.get();
            }
            GraalPySandbox c = compiler;
            ScheduledFuture<?> stop = watchdog.schedule(c::close, patience.toMillis(), TimeUnit.MILLISECONDS);
            try {
                forms.put(filename, text, c.compileForm(text, filename));
            } finally {
                stop.cancel(false);
            }
        } catch (RuntimeException e) {
            // A source the guard refuses (a syntax error: the guest's own compile reports it), or a compile that
            // ran past its patience and closed the context: the next module gets a fresh one.
            LOG.log(Level.FINE, "module " + filename + " was not compiled for sharing", e);
            if (compiler != null && compiler.isClosed()) {
                compiler = null;
            }
        } finally {
            pending.remove(key);
        }
    }

    /** Modules asked for and not yet compiled (or dropped). */
    int pending() {
        return pending.size();
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        watchdog.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        GraalPySandbox c = compiler;
        if (c != null) {
            c.close();
        }
    }
}
