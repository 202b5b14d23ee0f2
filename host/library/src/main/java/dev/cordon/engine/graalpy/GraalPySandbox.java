package dev.cordon.engine.graalpy;

import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One sandboxed GraalPy context. It is created for one call (or one session of calls by the same
 * principal), booted once, runs guest code on the caller's thread, and is closed for good after a
 * cancellation: a cancelled context is unusable.
 */
final class GraalPySandbox implements Sandbox {

    private static final Logger LOG = Logger.getLogger("dev.cordon.graalpy");

    private final Context context;
    private final Value describe;
    private final Value flushFiles;
    private final Value joinThreads;
    /** Gives the guest each call's limits and parameters ({@code cordon._boot._call_starter}). */
    private final Value startCall;
    private final Value compileGuarded;
    private final Value runCompiled;
    private final Value runGuarded;
    private final Value preload;
    private final GuardedCode guarded;
    private final GuardFacts facts;
    private final ProgramSources programs;
    /** Programs this context compiled for itself, after guest code ran here: never shared. */
    private final GuardedCode ownCompiled = new GuardedCode(1L << 20);
    /** True until guest code first runs here: only then may this context's compiler fill the shared cache. */
    private boolean pristine = true;
    private final GuestBridge bridge;
    /** The thread running a call now, or null. */
    private volatile Thread runner;
    private final Switchable.Output out = new Switchable.Output();
    private final Switchable.Output err = new Switchable.Output();
    private final Switchable.Input in = new Switchable.Input();
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final GuestFileSystem fileSystem;
    /**
     * For a context prepared ahead, the one thread it runs on: the thread that booted it, which GraalPy takes for
     * the context's main thread and delivers its asynchronous work to (the callbacks of weak references, which
     * would otherwise never run); null when the context runs on its callers' threads.
     */
    private final java.util.concurrent.ExecutorService owner;
    private final Thread ownerThread;

    private GraalPySandbox(GraalPyRuntime runtime, String world, VirtualFileSystem vfs, VirtualPath cwd) {
        this(runtime, world, vfs, cwd, null);
    }

    private GraalPySandbox(GraalPyRuntime runtime, String world, VirtualFileSystem vfs, VirtualPath cwd,
                           java.util.concurrent.ExecutorService owner) {
        this.owner = owner;
        this.ownerThread = owner == null ? null : Thread.currentThread();
        this.fileSystem = new GuestFileSystem(vfs, cwd, VirtualPath.of("/tmp"));
        this.bridge = new GuestBridge(world, fileSystem::virtual,
                (file, text, timeLeft) -> runtime.sharedModule(world, file, text, timeLeft));
        this.context = runtime.newContext(fileSystem, bridge, in, out, err);
        Value boot;
        try {
            for (Source shared : runtime.sharedSources()) {
                try {
                    context.eval(shared);
                } catch (PolyglotException handedOver) {
                    // Expected of each module's source: it stops once it has handed its code over. Any other
                    // failure (a module that does not compile) stops the boot.
                    if (!handedOver.isGuestException() || !isHandedOver(handedOver)) {
                        throw handedOver;
                    }
                }
            }
            boot = context.eval(runtime.bootSource());
        } catch (RuntimeException e) {
            // A context that failed to boot is closed here: nothing else holds it.
            try {
                context.close(true);
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        this.describe = boot.getMember("describe");
        this.flushFiles = boot.getMember("flush_files");
        this.joinThreads = boot.getMember("join_threads");
        this.startCall = boot.getMember("start_call");
        this.compileGuarded = boot.getMember("compile_guarded");
        this.runCompiled = boot.getMember("run_compiled");
        this.runGuarded = boot.getMember("run_guarded");
        this.preload = boot.getMember("preload");
        this.guarded = runtime.guardedCode();
        this.facts = runtime.guardFacts();
        this.programs = runtime.programSources();
    }

    private static boolean isHandedOver(PolyglotException e) {
        Value guest = e.getGuestObject();
        return guest != null && guest.getMetaObject() != null
                && "HandedOver".equals(guest.getMetaObject().getMetaSimpleName());
    }

    /**
     * Creates and boots a context over {@code vfs}.
     *
     * @throws PolyglotException if GraalPy cannot start (a fault of the host's setup, not of a guest)
     */
    static GraalPySandbox open(GraalPyRuntime runtime, String world, VirtualFileSystem vfs, VirtualPath cwd) {
        try {
            return new GraalPySandbox(runtime, world, vfs, cwd);
        } catch (PolyglotException e) {
            if (e.isHostException() || e.isInternalError()) {
                throw e;
            }
            // No guest code has run in it yet and no limit of the call can have cancelled it (they are armed
            // once the context is open), yet under load GraalPy has failed a boot that works every other time:
            // once cancelled, once with BrokenPipeError (a tenant beside five hostile loops on two cores),
            // causes unknown. A second context is the same call again, so the caller does not see a spurious
            // failure; the first one is logged with GraalPy's own stack, so that its cause can be found.
            LOG.log(Level.WARNING, "a context failed to boot (" + e.getMessage() + "); booting another. GraalPy's stack: "
                    + e.getPolyglotStackTrace(), e);
            return new GraalPySandbox(runtime, world, vfs, cwd);
        }
    }

    /**
     * Boots a context ahead of demand over the sandbox's own layout alone (no mounts, no {@code /tmp}),
     * for one call to take later with {@link #use}.
     */
    static GraalPySandbox prepare(GraalPyRuntime runtime, String world) {
        return new GraalPySandbox(runtime, world, runtime.baseFileSystem().build(), VirtualPath.ROOT);
    }

    /**
     * Imports standard modules into a context prepared ahead, before any guest code has run in it, so that its
     * call finds them loaded. Their code is the engine's shared form, as for a call's own import, compiled
     * within {@code timeLimit} at most.
     *
     * @return one line per module that could not be loaded and why; empty if all were
     */
    String preload(java.util.List<String> modules, Duration timeLimit) {
        return onOwner(() -> preloadHere(modules, timeLimit));
    }

    private String preloadHere(java.util.List<String> modules, Duration timeLimit) {
        if (modules.isEmpty()) {
            return "";
        }
        if (!pristine) {
            throw new IllegalStateException("modules are preloaded only before any guest code runs");
        }
        bridge.preparing(timeLimit);
        try {
            return preload.execute(String.join(",", modules)).asString();
        } finally {
            bridge.preparing(Duration.ZERO);
        }
    }

    /**
     * Boots a context ahead of demand, as {@link #prepare}, on a thread of its own that then runs everything the
     * context does for its call ({@link #run}, {@link #preload}): GraalPy delivers a context's asynchronous work
     * to the thread that booted it, which must therefore be the thread that runs the guest.
     */
    static GraalPySandbox prepareOwned(GraalPyRuntime runtime, String world) {
        java.util.concurrent.ExecutorService owner = java.util.concurrent.Executors.newSingleThreadExecutor(
                r -> Thread.ofPlatform().daemon().name("cordon-context").unstarted(r));
        java.util.concurrent.Future<GraalPySandbox> booted = owner.submit(
                () -> new GraalPySandbox(runtime, world, runtime.baseFileSystem().build(), VirtualPath.ROOT, owner));
        try {
            return awaitOwner(booted);
        } catch (RuntimeException | Error e) {
            owner.shutdown();
            throw e;
        }
    }

    /** Runs {@code work} on this context's own thread, if it has one, and waits for it. */
    private <T> T onOwner(java.util.concurrent.Callable<T> work) {
        if (owner == null || Thread.currentThread() == ownerThread) {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return awaitOwner(owner.submit(work));
    }

    /**
     * The result of work on a context's own thread. The wait is not cut short by an interrupt (the work holds the
     * context; a cancel ends it), which is kept for the caller.
     */
    private static <T> T awaitOwner(java.util.concurrent.Future<T> work) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return work.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    if (e.getCause() instanceof Error r) {
                        throw r;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public Thread guestThread() {
        return ownerThread;
    }

    /** Gives a prepared context the filesystem and working directory of the call that took it. */
    void use(VirtualFileSystem vfs, VirtualPath cwd) {
        fileSystem.use(vfs, cwd);
    }

    /**
     * Points the guest's streams, parameters, result and filesystem records at the run's call, then runs its
     * code in the context's {@code __main__} module, in its guarded form (see {@link GuardedCode}). Operations
     * that would allocate more than {@link RunSpec#maxOperationBytes()} at once are refused with MemoryError
     * before they start; past the wall-time limit, the guest's exception handlers refuse to run (see
     * {@code _cordon_graalpy/guard.py}). Never throws for anything the guest did.
     */
    @Override
    public Outcome run(RunSpec spec) {
        return onOwner(() -> runHere(spec));
    }

    private Outcome runHere(RunSpec spec) {
        in.set(spec.stdin());
        out.set(spec.stdout());
        err.set(spec.stderr());
        fileSystem.recordTo(spec.audit());
        bridge.bind(spec.bridge(), spec.maxOperationBytes(), spec.timeLeft(), spec.limits().threads());
        runner = Thread.currentThread();
        threadsOutlived = false;
        try {
            return run(spec.code(), spec.sourceName(), spec.argv(), spec.interactive(), spec.maxOperationBytes(),
                    spec.timeLeft());
        } finally {
            runner = null;
            if (threadsOutlived) {
                // Daemon threads still at work: the context is closed now, which ends them with it.
                cancelled.set(true);
                closeNow();
            }
        }
    }

    /** Whether guest threads were still running when the program ended. */
    private boolean threadsOutlived;

    /**
     * The CPU time of the thread running the call and of the guest threads it started, or -1 when no call runs
     * (the caller then measures the thread itself, which is the same clock while no guest thread has run).
     */
    @Override
    public long cpuNanos() {
        Thread t = runner;
        return t == null ? -1 : Math.max(0, THREAD_CLOCK.cpuNanos(t)) + bridge.threadsCpuNanos();
    }

    private static final dev.cordon.governor.ThreadMeter THREAD_CLOCK = dev.cordon.governor.ThreadMeter.system();

    /**
     * Ends the guest's threads with its program, as CPython's interpreter does at exit: waits for those that are
     * not daemons (within the call's limits); a context where any still runs after that is not used again, and
     * closing it ends them.
     */
    private void endThreads() {
        if (bridge.threadsAlive() == 0 || cancelled.get()) {
            return;
        }
        try {
            joinThreads.execute();
        } catch (PolyglotException | IllegalStateException e) {
            // Cancelled meanwhile: closing the context ends the threads.
        }
        threadsOutlived = bridge.threadsAlive() > 0;
    }

    private Outcome run(String code, String sourceName, java.util.List<String> argv, boolean interactive,
                        long maxOperationBytes, Duration wallTime) {
        boolean asWritten = !interactive && !facts.mayNeedGuard(code);
        Source source = asWritten
                ? programs.of(code, sourceName)
                : Source.newBuilder("python", code, sourceName).interactive(interactive).buildLiteral();
        boolean wasPristine = pristine;
        pristine = false;
        String guardedText = null;
        try {
            try {
                startCall.execute(maxOperationBytes, wallTime.toNanos() / 1e9,
                        org.graalvm.polyglot.proxy.ProxyArray.fromList(java.util.List.<Object>copyOf(argv)));
                if (interactive) {
                    runGuarded.execute(code, sourceName, "single");
                } else if (asWritten) {
                    context.eval(source);
                } else {
                    GuardedCode.Form form = compiled(code, sourceName, wasPristine);
                    if (form.isSource()) {
                        guardedText = form.text();
                        context.eval(programs.of(form.text(), sourceName));
                    } else {
                        runCompiled.execute(form.text());
                    }
                }
            } finally {
                endThreads();
                flushFiles();
            }
            return Outcome.OK;
        } catch (PolyglotException e) {
            if (e.isCancelled() || e.isInternalError() || e.isResourceExhausted()) {
                cancelled.set(true);
            }
            Integer exit = bridge.exitStatus();
            if (exit != null && (e.isExit() || e.isInternalError())) {
                // os._exit: as a process would, the context ends with the status asked for.
                cancelled.set(true);
                return GuestErrors.exited(exit, e);
            }
            return GuestErrors.translate(e, describe, source, guardedText);
        } catch (IllegalStateException e) {
            // The context was closed under us: a cancel that landed before evaluation started.
            cancelled.set(true);
            return new Outcome(Status.INTERNAL, new GuestError("CancelledError", "the sandbox was closed", ""));
        }
    }

    /**
     * The program's guarded form: from the runtime's cache, from this context's own, or compiled here. Only a
     * pristine context may fill the runtime's cache, which every context trusts; what a context compiled after
     * guest code ran there (and could have changed its guard) serves that context alone. Either way the same
     * program gets the same form: its text maps to one {@link Source} object ({@link ProgramSources}), its
     * marshalled code to one code object (the guard's {@code run_marshalled}), so neither is compiled again
     * for each run. Marshalled bytes travel as Latin-1 text, the one form a host value reaches the guest in.
     */
    private GuardedCode.Form compiled(String code, String sourceName, boolean mayShare) {
        GuardedCode.Form known = guarded.get(sourceName, code);
        if (known != null) {
            return known;
        }
        GuardedCode.Form own = ownCompiled.get(sourceName, code);
        if (own != null) {
            return own;
        }
        GuardedCode.Form form = compileForm(code, sourceName);
        (mayShare ? guarded : ownCompiled).put(sourceName, code, form);
        return form;
    }

    /**
     * The guarded form of {@code code} as this context's guard makes it; for {@link SharedModules}, whose
     * compiler context runs no guest code, or for a program about to run here.
     */
    GuardedCode.Form compileForm(String code, String sourceName) {
        Value fresh = compileGuarded.execute(code, sourceName);
        if (fresh.isString()) {
            return new GuardedCode.Form(fresh.asString(), true);
        }
        byte[] bytes = new byte[(int) fresh.getBufferSize()];
        fresh.readBuffer(0, bytes, 0, bytes.length);
        return new GuardedCode.Form(new String(bytes, StandardCharsets.ISO_8859_1), false);
    }

    /** Whether this context has been closed (or cancelled and closed). */
    boolean isClosed() {
        return closed.get();
    }

    /**
     * Flushes the files the guest's code left open, as CPython would when their objects die; skipped once
     * the context is cancelled, whose buffers are lost as a killed process's are.
     */
    private void flushFiles() {
        if (cancelled.get()) {
            return;
        }
        try {
            flushFiles.execute();
        } catch (PolyglotException | IllegalStateException e) {
            // Cancelled meanwhile, or a guest's file whose flush fails: nothing more to save.
        }
    }

    @Override
    public boolean isIncomplete(String code) {
        try {
            context.parse(Source.newBuilder("python", code, "<stdin>").interactive(true).buildLiteral());
            return false;
        } catch (PolyglotException e) {
            return e.isIncompleteSource();
        }
    }

    /** Whether the context can run more code: it was not cancelled and hit no internal error. */
    @Override
    public boolean usable() {
        return !cancelled.get() && !closed.get();
    }

    /**
     * Cancels whatever the guest is doing and closes the context, on a thread of its own: a cancel waits
     * for the guest to reach a safepoint, which work inside a long builtin may not do for a while.
     */
    @Override
    public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            bridge.interrupt();
            Thread t = new Thread(this::closeNow, "cordon-cancel");
            t.setDaemon(true);
            t.start();
        }
    }

    private void closeNow() {
        if (closed.compareAndSet(false, true)) {
            try {
                context.close(true);
            } catch (RuntimeException e) {
                // Closing a cancelled or broken context can complain; it is gone either way.
            }
            bridge.close();
            if (owner != null) {
                owner.shutdown();
            }
        }
    }

    @Override
    public void close() {
        closeNow();
    }
}
