package dev.cordon.engine.graalpy;

import org.graalvm.polyglot.PolyglotException;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
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
 * code has run there. The shared form is made by a context of its own that never runs guest code (the compiler
 * context), on the importing call's thread, so its time is that call's: the first import of a module costs what
 * it did, and every later import of the same text under the same name, in any context, gets the shared form (as
 * text, a source whose code the engine already holds; else marshalled code). Nobody waits for anybody: while
 * the compiler context is busy with another call's module, or not booted yet (it boots in the background on
 * first use), the importing context compiles the module for itself as before. A compile that runs past the
 * call's time or past {@code patience} (a pathological source) closes the compiler context; the next module
 * gets a new one. Thread-safe.
 */
final class SharedModules implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger("dev.cordon.graalpy");

    /** Modules larger than this (in characters) are compiled by each context for itself. */
    static final int MAX_CHARS = 512 * 1024;

    private final GuardedCode forms;
    private final Supplier<GraalPySandbox> compilers;
    private final Duration patience;
    private final ReentrantLock lock = new ReentrantLock();
    private final ExecutorService booter;
    private final ScheduledExecutorService watchdog;
    private final AtomicBoolean booting = new AtomicBoolean();
    /** The compiler context, once booted; null before, and after it was closed. Guarded by {@link #lock}. */
    private volatile GraalPySandbox compiler;
    private volatile boolean closed;

    /**
     * @param forms     where the shared forms are kept (the runtime's cache of guarded programs)
     * @param compilers boots a fresh context that no guest code will ever run in
     * @param patience  the longest one module's compile may take
     */
    SharedModules(GuardedCode forms, Supplier<GraalPySandbox> compilers, Duration patience) {
        this.forms = forms;
        this.compilers = compilers;
        this.patience = patience;
        this.booter = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("cordon-module-compiler-boot").factory());
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("cordon-module-compiler-watchdog").factory());
    }

    /**
     * The shared form of module {@code text} compiled as {@code filename}: "t" and the guarded text, or "m" and
     * the marshalled code as Latin-1 characters; null when the caller is to compile the module for itself.
     *
     * @param timeLeft the most the asking call may spend on the compile
     */
    String form(String filename, String text, Duration timeLeft) {
        if (closed || filename == null || text == null || text.length() > MAX_CHARS) {
            return null;
        }
        GuardedCode.Form form = forms.get(filename, text);
        if (form == null) {
            form = compile(filename, text, timeLeft);
        }
        return form == null ? null : (form.isSource() ? "t" : "m") + form.text();
    }

    private GuardedCode.Form compile(String filename, String text, Duration timeLeft) {
        if (compiler == null) {
            boot();
            return null;
        }
        if (!lock.tryLock()) {
            return null;
        }
        try {
            GraalPySandbox c = compiler;
            if (c == null || closed) {
                return null;
            }
            Duration wait = timeLeft.compareTo(patience) < 0 ? timeLeft : patience;
            ScheduledFuture<?> stop = watchdog.schedule(c::close, Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
            try {
                GuardedCode.Form form = c.compileForm(text, filename);
                forms.put(filename, text, form);
                return form;
            } finally {
                stop.cancel(false);
            }
        } catch (RuntimeException e) {
            // A source the guard refuses (a syntax error, which the guest's own compile then reports) leaves the
            // compiler context as it was. Anything else (a compile stopped at its time, which closed the context;
            // an internal error of the interpreter) ends it: the next module gets a fresh one.
            LOG.log(Level.FINE, "module " + filename + " was not compiled for sharing", e);
            boolean refused = e instanceof PolyglotException p && p.isGuestException() && !p.isInternalError()
                    && !p.isCancelled();
            GraalPySandbox c = compiler;
            if (c != null && (!refused || c.isClosed())) {
                c.close();
                compiler = null;
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Boots the compiler context in the background, once at a time. */
    private void boot() {
        if (closed || !booting.compareAndSet(false, true)) {
            return;
        }
        try {
            booter.execute(() -> {
                try {
                    GraalPySandbox c = compilers.get();
                    lock.lock();
                    try {
                        if (closed) {
                            c.close();
                        } else {
                            compiler = c;
                        }
                    } finally {
                        lock.unlock();
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "the module compiler context did not boot", e);
                } finally {
                    booting.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            booting.set(false);   // closed meanwhile
        }
    }

    /** Whether the compiler context is booted and open. */
    boolean ready() {
        GraalPySandbox c = compiler;
        return c != null && !c.isClosed();
    }

    @Override
    public void close() {
        closed = true;
        booter.shutdownNow();
        watchdog.shutdownNow();
        lock.lock();
        try {
            GraalPySandbox c = compiler;
            compiler = null;
            if (c != null) {
                c.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
