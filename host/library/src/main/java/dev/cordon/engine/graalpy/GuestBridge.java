package dev.cordon.engine.graalpy;

import dev.cordon.engine.Bridge;
import dev.cordon.engine.CallBridge;
import dev.cordon.capabilities.sqlite.GuestDatabases;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import org.graalvm.polyglot.HostAccess;

/**
 * The one host object a GraalPy guest holds: the {@code cordon} module's link to the {@link CallBridge} of
 * the call now running in its context. Only the methods annotated {@link HostAccess.Export} are visible to
 * the guest, and none of them throws: a problem comes back as a string for the Python side to raise, so no
 * host exception ever reaches guest code. Public only because the guest's reflective access needs it: its
 * package is not exported.
 */
public final class GuestBridge {

    private static final CallBridge NO_CALL = new CallBridge("{}", new dev.cordon.capabilities.ResponseBudget(1), new dev.cordon.capabilities.AuditTrail(), null);

    private final String world;
    private final java.util.function.Supplier<VirtualFileSystem> fileSystem;
    private final SharedModuleSource sharedModules;

    /** Where {@link #sharedModule} gets its answer ({@link SharedModules#form}). */
    interface SharedModuleSource {
        String form(String filename, String text, java.time.Duration timeLeft);
    }
    /** The sandbox's SQLite databases, made at the guest's first {@code sqlite3} request. */
    private GuestDatabases databases;
    private volatile java.time.Duration timeLeft = java.time.Duration.ZERO;
    /** When the call now running was bound, on System.nanoTime's clock. */
    private volatile long boundAt;
    /** Guest threads the call may run at once beside its own, and those started (or starting) now. */
    private volatile int threadLimit;
    private int threadsPending;
    /** The guest threads running their work, with how deep in threadRun each is. */
    private final java.util.Map<Thread, int[]> threadsRunning = new java.util.HashMap<>();
    private final java.util.concurrent.atomic.AtomicLong endedThreadsCpu = new java.util.concurrent.atomic.AtomicLong();
    private volatile Bridge call = NO_CALL;
    /** The most one operation of the call now running may hold at once (its maxOperationBytes). */
    private volatile long maxBytes = 1;
    /** The status the guest asked to end with by {@code os._exit}, or null. */
    private volatile Integer exitStatus;

    /**
     * @param world      the guest's world as {@code cordon/_world.py} reads it
     * @param fileSystem the sandbox's filesystem now, where its SQLite databases' files are
     */
    GuestBridge(String world, java.util.function.Supplier<VirtualFileSystem> fileSystem,
                SharedModuleSource sharedModules) {
        this.world = world;
        this.fileSystem = fileSystem;
        this.sharedModules = sharedModules;
    }

    /**
     * The shared guarded form of a module the guest imports ({@link SharedModules#form}): "t" and text, "m"
     * and marshalled code, or null, when the guest compiles the module for itself. {@code text} is null for a
     * module of the read-only libraries, whose text the host reads itself.
     */
    @HostAccess.Export
    public String sharedModule(String filename, String text) {
        try {
            java.time.Duration left = timeLeft.minusNanos(System.nanoTime() - boundAt);
            return left.isNegative() || left.isZero() ? null : sharedModules.form(filename, text, left);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Lets a context prepared ahead load the engine's shared form of modules for {@code timeLeft}, before any
     * call is bound (and no longer, with zero).
     */
    void preparing(java.time.Duration timeLeft) {
        this.timeLeft = timeLeft;
        this.boundAt = System.nanoTime();
    }

    /**
     * Points the guest at one call's bridge; the previous call's is gone. {@code maxBytes} bounds what the
     * computations below may hold for it, whatever bound the guest passes.
     */
    void bind(Bridge call, long maxBytes, java.time.Duration timeLeft, int threadLimit) {
        this.threadLimit = threadLimit;
        this.endedThreadsCpu.set(0);
        this.call = call;
        this.maxBytes = maxBytes;
        this.exitStatus = null;
        this.timeLeft = timeLeft;
        this.boundAt = System.nanoTime();
        synchronized (this) {
            if (databases != null) {
                databases.bind(maxBytes, timeLeft);
            }
        }
    }

    /**
     * One request of the guest's {@code sqlite3} module ({@link GuestDatabases} describes them): its databases
     * are in this JVM (a worker's, in worker isolation), their files read and written through the sandbox's
     * filesystem.
     */
    @HostAccess.Export
    public String sqlite(String request) {
        GuestDatabases d;
        synchronized (this) {
            if (databases == null) {
                databases = new GuestDatabases(fileSystem.get());
                databases.bind(maxBytes, timeLeft);
                databases.callbacks(this::sqliteCallback);
            }
            d = databases;
        }
        return d.handle(request);
    }

    /**
     * Asks for a place for one more guest thread: null if it may start (the place is held for it until it runs
     * through {@link #threadRun}, or {@link #threadAbort} gives it back), else why not, for the guest's
     * RuntimeError.
     */
    @HostAccess.Export
    public synchronized String threadStart() {
        int limit = threadLimit;
        if (threadsPending + threadsRunning.size() >= limit) {
            return limit == 0 ? "the call's thread limit is 0 (Limits.threads; cordon run --threads N)"
                    : "the call's thread limit of " + limit + " is reached (Limits.threads)";
        }
        threadsPending++;
        return null;
    }

    /** Gives back a place held for a thread that did not start. */
    @HostAccess.Export
    public synchronized void threadAbort() {
        threadsPending = Math.max(0, threadsPending - 1);
    }

    /**
     * Runs a guest thread's work on it: it takes a held place, its CPU time counts in the call's while it runs,
     * and its place is free once the work returns. The count is the host's: the guest cannot free a place while
     * its thread runs, and a thread with no place held for it does not run (the answer is why; null once the
     * work ran).
     */
    @HostAccess.Export
    public String threadRun(org.graalvm.polyglot.Value work) {
        Thread me = Thread.currentThread();
        synchronized (this) {
            int[] depth = threadsRunning.get(me);
            if (depth != null) {
                depth[0]++;
            } else if (threadsPending > 0) {
                threadsPending--;
                threadsRunning.put(me, new int[] {1});
            } else {
                return "no place was held for this thread under the call's thread limit";
            }
        }
        try {
            work.execute();
            return null;
        } finally {
            synchronized (this) {
                int[] depth = threadsRunning.get(me);
                if (depth != null && --depth[0] == 0) {
                    threadsRunning.remove(me);
                    endedThreadsCpu.addAndGet(Math.max(0, THREADS.cpuNanos(me)));
                }
            }
        }
    }

    /** Guest threads started and not yet ended, and places held for threads starting. */
    synchronized int threadsAlive() {
        return threadsPending + threadsRunning.size();
    }

    /** The CPU time of the call's guest threads (its own thread's aside): those running and those that ended. */
    long threadsCpuNanos() {
        long sum = endedThreadsCpu.get();
        java.util.List<Thread> running;
        synchronized (this) {
            running = java.util.List.copyOf(threadsRunning.keySet());
        }
        for (Thread t : running) {
            sum += Math.max(0, THREADS.cpuNanos(t));
        }
        return sum;
    }

    private static final dev.cordon.governor.ThreadMeter THREADS = dev.cordon.governor.ThreadMeter.system();

    /** The guest's dispatcher of SQL's calls back into Python (its sqlite3 module's), or null. */
    private volatile org.graalvm.polyglot.Value sqliteDispatch;

    /** Called once by the guest's sqlite3 module: SQL functions, aggregates and collations call it. */
    @HostAccess.Export
    public void sqliteCallbacks(org.graalvm.polyglot.Value dispatch) {
        if (dispatch != null && dispatch.canExecute()) {
            sqliteDispatch = dispatch;
        }
    }

    /** One call of SQL back into the guest, on the guest's thread; null (a failure) if the guest did not answer. */
    private String sqliteCallback(String request) {
        org.graalvm.polyglot.Value d = sqliteDispatch;
        if (d == null) {
            return null;
        }
        try {
            org.graalvm.polyglot.Value reply = d.execute(request);
            return reply.isString() ? reply.asString() : null;
        } catch (org.graalvm.polyglot.PolyglotException | IllegalStateException e) {
            // The call was cancelled, or the guest's dispatcher failed: the statement fails with it.
            return null;
        }
    }

    /** Stops the SQLite statement running now, if any: the call was cancelled. */
    void interrupt() {
        GuestDatabases d;
        synchronized (this) {
            d = databases;
        }
        if (d != null) {
            d.interrupt();
        }
    }

    /** Frees the sandbox's databases: what they did not commit is lost, as when a process ends. */
    void close() {
        GuestDatabases d;
        synchronized (this) {
            d = databases;
            databases = null;
        }
        if (d != null) {
            d.close();
        }
    }

    /**
     * The status the guest's {@code os._exit} asked for in the call now running, or null. GraalPy's own
     * {@code _exit} ends the run at once, but on a thread other than the one that booted the context (a
     * prepared context's call, a worker's) it does so by an internal error that carries no status; the boot's
     * {@code _exit} says it here first.
     */
    Integer exitStatus() {
        return exitStatus;
    }

    /** Called by the guest's {@code os._exit} just before it ends the run: see {@link #exitStatus()}. */
    @HostAccess.Export
    public void exiting(int status) {
        exitStatus = status;
    }

    @HostAccess.Export
    public String gatewayConnect(String service) {
        return call.gatewayConnect(service);
    }

    @HostAccess.Export
    public String gatewayAttach(String token) {
        return call.gatewayAttach(token);
    }

    @HostAccess.Export
    public String gatewayCall(String token, String operation, String argumentsJson) {
        return call.gatewayCall(token, operation, argumentsJson);
    }

    /** The host's monotonic clock in seconds, for the guard's wall-time checks ({@code _cordon_graalpy/guard.py}). */
    @HostAccess.Export
    public double monotonic() {
        return System.nanoTime() / 1e9;
    }

    /**
     * Parses an XML document for the guest's {@code pyexpat} ({@link XmlEvents}): its events as JSON, or its
     * error. Pure computation in this JVM (a worker's, in worker isolation); nothing crosses to a capability.
     */
    @HostAccess.Export
    public String xmlEvents(String document, boolean bytes, String encoding, String separator, long maxChars) {
        try {
            long bound = Math.min(maxChars, maxBytes);
            if (document.length() > bound) {
                return "{\"error\": \"the document is larger than the " + bound
                        + " characters this call may use at once\", \"line\": 1, \"column\": 0}";
            }
            return XmlEvents.parse(document, bytes, encoding, separator, bound);
        } catch (RuntimeException e) {
            return "{\"error\": \"the XML parser failed\", \"line\": 1, \"column\": 0}";
        }
    }

    /** bzip2 compression for the guest's {@code _bz2} ({@link Bzip2}); null if it failed. */
    @HostAccess.Export
    public String bz2Compress(String data, int level) {
        try {
            return data.length() > maxBytes ? null : Bzip2.compress(data, level);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** bzip2 decompression for the guest's {@code _bz2} ({@link Bzip2#decompress}). */
    @HostAccess.Export
    public String bz2Decompress(String data, long maxBytes, int scanFrom) {
        try {
            long bound = Math.min(maxBytes, this.maxBytes);
            return data.length() > bound ? "m" : Bzip2.decompress(data, bound, scanFrom);
        } catch (RuntimeException e) {
            return "eInvalid data stream";
        }
    }

    /** The guest's virtual world, read once by the boot. */
    @HostAccess.Export
    public String world() {
        return world;
    }

    @HostAccess.Export
    public String params() {
        return call.params();
    }

    @HostAccess.Export
    public String result(String json) {
        return call.result(json);
    }

    @HostAccess.Export
    public void deny(String category, String action, String target) {
        call.deny(category, action, target);
    }
}
