package dev.cordon.engine.worker;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.Engine;
import dev.cordon.engine.Sandbox;
import dev.cordon.engine.graalpy.GraalPyEngine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * GraalPy in worker processes: each call runs in a child JVM that keeps a warm GraalPy engine and a booted
 * context, one call at a time, while the capability layer (the call's filesystem, gateway, audit trail, limits)
 * stays here. Workers are started ahead of demand in the background, so that a call never waits for a JVM once
 * the pool is up; a worker that is killed (a limit it did not stop at within the grace), runs out of its own
 * heap, breaks the protocol or dies is replaced by a new one, and only its call is affected.
 */
public final class WorkerEngine implements Engine {

    /** Extra options for each worker's JVM, separated by spaces: {@value}. */
    public static final String JAVA_OPTIONS_VARIABLE = "CORDON_WORKER_JAVA_OPTS";

    /** The most files a worker may have open at once. */
    static final int OPEN_FILES = 1024;

    private static final Logger LOG = Logger.getLogger("dev.cordon.engine.worker");
    /** How long a call waits for a free worker before it fails (the pool starts, or every worker is busy). */
    private static final Duration WAIT_FOR_WORKER = Duration.ofSeconds(120);
    /** How long the first worker has to start before the engine gives up. */
    private static final Duration FIRST_START = Duration.ofMinutes(3);
    /** How long a worker has, after a call, to say it is ready for the next one. */
    private static final Duration READY_AGAIN = Duration.ofSeconds(30);

    private final String world;
    /** The standard modules each worker's prepared context imports before its call. */
    private final List<String> preload;
    private final List<String> command;
    private final Duration killGrace;
    private final BlockingQueue<WorkerProcess> idle = new LinkedBlockingQueue<>();
    private final Set<WorkerProcess> all = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("cordon-worker-timer").unstarted(r));
    private final int size;
    private final java.util.concurrent.CompletableFuture<Void> first = new java.util.concurrent.CompletableFuture<>();
    /** Workers being started now; guarded by this. */
    private int starting;
    /** Whether the pool has once been whole: from then on, replacements start all at once. Guarded by this. */
    private boolean wasWhole;
    private volatile boolean closed;

    /**
     * Starts {@code workers} workers in the background.
     *
     * @param world     the guest's world, handed to each worker
     * @param workers   how many workers to keep: the calls that may run at once, and a spare
     * @param heapBytes each worker's maximum heap ({@code -Xmx})
     * @param killGrace how long a cancelled worker has to be idle again before it is killed
     * @param preload   standard modules each worker's prepared context imports before its call
     */
    public WorkerEngine(GuestWorld world, int workers, long heapBytes, Duration killGrace, List<String> preload) {
        this(world, workers, command(heapBytes), killGrace, preload);
        GraalPyEngine.reportJit(GraalPyEngine.compilerConfigured());
    }

    /** An engine whose workers are started with {@code command} (tests start stand-in workers). */
    WorkerEngine(GuestWorld world, int workers, List<String> command, Duration killGrace, List<String> preload) {
        this.world = world.toText();
        this.preload = List.copyOf(preload);
        this.command = command;
        this.killGrace = killGrace;
        this.size = workers;
        startOne();
        // As the in-process engine is started before its first call, so is the first worker: a call made right
        // after the engine is built does not spend its wall time waiting for a JVM, and a worker that cannot
        // start (a wrong option, a missing class) is this constructor's error rather than every call's timeout.
        try {
            first.get(FIRST_START.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            close();
            throw new IllegalStateException(e instanceof java.util.concurrent.ExecutionException ? e.getCause().getMessage()
                    : "no worker process was ready within " + FIRST_START.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the first worker process started", e);
        }
    }

    /**
     * The worker's command line: this JVM's own {@code java}, its class and module paths and the options that
     * give GraalPy its compiler, a heap of its own, and the worker's main class.
     */
    static List<String> command(long heapBytes) {
        List<String> cmd = new ArrayList<>(osLimits());
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-Xmx" + Math.max(64, heapBytes >> 20) + "m");
        String extra = System.getenv(JAVA_OPTIONS_VARIABLE);
        List<String> operator = extra == null || extra.isBlank() ? List.of() : List.of(extra.strip().split("\\s+"));
        // One call at a time in a heap of its own: the serial collector, unless the operator chose another.
        if (operator.stream().noneMatch(o -> o.matches("-XX:\\+Use\\w*GC"))) {
            cmd.add("-XX:+UseSerialGC");
        }
        String upgrade = System.getProperty("jdk.module.upgrade.path");
        if (upgrade != null && !upgrade.isEmpty()) {
            // The Graal compiler is Java code that every worker JVM would otherwise warm up through C2 as well,
            // seconds of two cores in which the guest runs slowly; compiled by C1 alone it is quick to be
            // useful (a fresh worker's first memory-growth call: 3.8 s against a 10 s timeout). Without the
            // Graal compiler the guest runs in GraalPy's interpreter, which wants C2.
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        cmd.add("-XX:-UsePerfData");
        // A worker out of heap ends at once (its call is MEMORY_LIMIT, a spare takes its place) rather than
        // limping on with threads that an OutOfMemoryError killed.
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        // Stdout is the channel: the VM's own messages (an OutOfMemoryError's last words, its logs) go to stderr.
        cmd.add("-XX:+DisplayVMOutputToStderr");
        cmd.add("-Xlog:all=warning:stderr");
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:+UnlockExperimentalVMOptions") || arg.startsWith("-XX:+EnableJVMCI")
                    || arg.startsWith("-XX:-UseJVMCICompiler") || arg.startsWith("--enable-native-access")
                    || arg.startsWith("--sun-misc-unsafe-memory-access") || arg.startsWith("-Xss")
                    || arg.startsWith("-Dpolyglot.") || arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                cmd.add(arg);
            }
        }
        if (upgrade != null && !upgrade.isEmpty()) {
            cmd.add("--upgrade-module-path=" + upgrade);
        }
        String modules = System.getProperty("jdk.module.path");
        if (modules != null && !modules.isEmpty()) {
            cmd.add("--module-path=" + modules);
            cmd.add("--add-modules=ALL-MODULE-PATH");
        }
        // The operator's own tuning (a collector, compiler settings) comes last, so it wins.
        cmd.addAll(operator);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(WorkerMain.class.getName());
        return List.copyOf(cmd);
    }

    /**
     * The operating system's limits on a worker, where util-linux's {@code prlimit} is there to set them: at most
     * {@value #OPEN_FILES} open files (the JVM's jars, its channel and its own pipes fit well inside) and no core
     * dump. A worker creates no process (GraalPy's context is denied it), and the guest reaches no real file.
     */
    static List<String> osLimits() {
        for (String prlimit : List.of("/usr/bin/prlimit", "/bin/prlimit")) {
            if (java.nio.file.Files.isExecutable(Path.of(prlimit))) {
                return List.of(prlimit, "--nofile=" + OPEN_FILES + ":" + OPEN_FILES, "--core=0:0", "--");
            }
        }
        return List.of();
    }

    /**
     * Starts the workers the pool lacks. At first one at a time, so that on a small machine the first is ready
     * as soon as it can be rather than all of them late together; once the pool has been up, every replacement
     * at once, since each missing worker is a call that cannot run.
     */
    private synchronized void startOne() {
        while (!closed && all.size() + starting < size && (starting == 0 || wasWhole)) {
            starting++;
            Thread.ofPlatform().daemon().name("cordon-worker-start").start(this::startWorker);
        }
    }

    private void startWorker() {
        WorkerProcess w = null;
        boolean ready = false;
        try {
            w = WorkerProcess.start(command, world, preload);
            all.add(w);
            ready = w.awaitReady(Duration.ofMinutes(3)) && !closed;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot start a worker", e);
        }
        synchronized (this) {
            starting--;
            wasWhole |= ready && all.size() >= size;
        }
        if (ready) {
            becomeIdle(w);
            first.complete(null);
            startOne();
        } else {
            String why = "a worker process did not start" + (w == null ? "" : ": " + w.lastWords());
            if (w != null) {
                retire(w);
            }
            // The first worker's failure is the constructor's error; a later one's is retried.
            boolean wasFirst = first.completeExceptionally(new IllegalStateException(why));
            if (!wasFirst && !closed) {
                LOG.log(Level.WARNING, why);
                try {
                    timer.schedule(this::startOne, 5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // Closed meanwhile.
                }
            }
        }
    }

    private void retire(WorkerProcess w) {
        all.remove(w);
        w.kill();
    }

    @Override
    public VirtualFileSystem.Builder baseFileSystem() {
        // The interpreter's library, the guest stdlib and the devices are the worker's own; only the call's
        // mounts and /tmp are the parent's, and only they are in the filesystem the parent keeps for a call.
        return VirtualFileSystem.builder();
    }

    @Override
    public Sandbox open(VirtualFileSystem fileSystem, String cwd) {
        long deadline = System.nanoTime() + WAIT_FOR_WORKER.toNanos();
        while (!closed) {
            WorkerProcess w;
            try {
                w = idle.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a worker", e);
            }
            if (w == null) {
                throw new IllegalStateException("no worker process became free within " + WAIT_FOR_WORKER.toSeconds() + " s");
            }
            if (w.alive()) {
                return new WorkerSandbox(this, w, fileSystem, cwd);
            }
            retire(w);
            startOne();
        }
        throw new IllegalStateException("the engine is closed");
    }

    /** Takes a worker back after its call: idle again if healthy, else killed and replaced. */
    void release(WorkerProcess w, boolean healthy) {
        if (!healthy || closed || !w.alive()) {
            retire(w);
            startOne();
            return;
        }
        // Idle again once it says READY (at once, unless it is wedged): a worker that does not say so in time is
        // replaced.
        Thread.ofPlatform().daemon().name("cordon-worker-release").start(() -> {
            if (w.awaitReady(READY_AGAIN) && !closed) {
                becomeIdle(w);
            } else {
                retire(w);
                startOne();
            }
        });
    }

    ScheduledFuture<?> schedule(Runnable task, long millis) {
        return timer.schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    Duration killGrace() {
        return killGrace;
    }

    /** A worker runs this JVM's compiler set-up ({@link #command}): it compiles when this JVM could. */
    @Override
    public boolean jitCompiled() {
        return GraalPyEngine.compilerConfigured();
    }

    @Override
    public boolean sessions() {
        return true;
    }

    /** Workers idle, each with a context booted for its next call ({@code WorkerMain} says READY only then). */
    @Override
    public int preparedReady() {
        return idle.size();
    }

    @Override
    public boolean awaitStarted(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (!closed && idle.size() < size) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
        return !closed;
    }

    private void becomeIdle(WorkerProcess w) {
        synchronized (idle) {
            idle.add(w);
            idle.notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        all.forEach(WorkerProcess::kill);
        all.clear();
        idle.clear();
        timer.shutdownNow();
    }
}
