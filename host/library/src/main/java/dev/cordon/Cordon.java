package dev.cordon;

import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.gateway.Gateway;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.gateway.Service;
import dev.cordon.capabilities.Access;
import dev.cordon.capabilities.vfs.DataDirectory;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.vfs.PostgresStore;
import dev.cordon.capabilities.vfs.PrincipalStore;
import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.Engine;
import dev.cordon.engine.Engines;
import dev.cordon.engine.ReservedPaths;
import dev.cordon.governor.HeapGuard;
import dev.cordon.governor.ThreadMeter;
import dev.cordon.governor.Ticker;
import dev.cordon.governor.Watchdog;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The entry point: runs untrusted Python with the capabilities each call grants.
 *
 * <pre>{@code
 * try (Cordon cordon = Cordon.builder().build()) {
 *     ExecutionResult r = cordon.run(Execution.builder().code("print(6 * 7)").build());
 *     r.status();   // OK
 *     r.stdout();   // "42\n"
 * }
 * }</pre>
 *
 * <p>A {@code Cordon} is thread-safe and meant to live as long as the application: it holds one shared
 * polyglot engine (parsed code is shared between calls), one watchdog thread, and a bounded pool of guest
 * threads. Every call gets a fresh, isolated interpreter context that is closed when the call ends.
 * {@link #run} never throws because of anything the guest did; it throws only when the host program
 * misuses it (a grant naming a mount that does not exist, for example).
 */
public final class Cordon implements AutoCloseable {

    private final Backend backend;
    private final Isolation isolation;
    private final Limits defaultLimits;
    private final CallCapabilities capabilities;
    private final CallRunner runner;

    private Cordon(Builder b) {
        this.backend = b.backend;
        this.defaultLimits = b.defaultLimits;
        GuestPool guests = new GuestPool(b.maxConcurrentRuns, b.maxQueuedRuns);
        CallRunner[] self = new CallRunner[1];
        long heap = b.workerHeapBytes > 0 ? b.workerHeapBytes
                : Math.min(b.defaultLimits.memoryBytes(), 8L << 30) + (384L << 20);
        Engine engine = Engines.start(b.backend, new Engines.Settings(b.isolation, GuestWorld.DEFAULT,
                b.preparedContexts, () -> self[0] != null && self[0].busy(), b.maxConcurrentRuns + 1, heap, b.preloadModules));
        this.isolation = b.isolation;
        this.capabilities = new CallCapabilities(engine, b.mounts, b.gateway.build(), b.dataDir, b.store());
        this.runner = new CallRunner(engine, capabilities, guests, new Watchdog(), new HeapGuard(b.heapPressure),
                Ticker.system(), ThreadMeter.system(), b.grace, b.abandonAfter);
        self[0] = runner;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs one call and returns when it has ended, or when a limit was reached and the grace period
     * passed, whichever is first. Never throws for anything the guest did.
     *
     * @throws IllegalArgumentException if the execution is granted a mount this Cordon does not have, or a
     *                                  capability this version does not provide
     * @throws IllegalStateException    if it is granted {@code fs.tmp} and the data directory is unusable
     */
    public ExecutionResult run(Execution execution) {
        Objects.requireNonNull(execution, "execution");
        capabilities.check(execution.grants());
        if (runner.closed()) {
            return ExecutionResult.rejected("this Cordon is closed");
        }
        Limits limits = execution.limits() != null ? execution.limits() : defaultLimits;
        return new GuestCall(runner, execution, limits, null, false).submit();
    }

    /**
     * Whether guest code is compiled to machine code by the Graal compiler (GraalPy on a JVM set up for it, in
     * this process or in its workers). When it is not, Cordon has said so once in its log, with how to set the
     * JVM up; the same code runs, 10 to 40 times slower.
     */
    public boolean jitCompiled() {
        return runner.engine.jitCompiled();
    }

    /**
     * Checks, before any call, that calls could be granted {@code grants}: each names a capability this version
     * has, and a mount or service this Cordon declares. An integration that fixes its grants once (a tool, an
     * engine) tells its application's mistake at set-up rather than at every call.
     *
     * @throws IllegalArgumentException for a mount or service that was never declared
     * @throws IllegalStateException    if {@code fs.tmp} is granted and the data directory is unusable
     */
    public void checkGrants(Grants grants) {
        capabilities.check(Objects.requireNonNull(grants, "grants"));
    }

    /**
     * Opens a session: consecutive calls of one principal that share one interpreter context, for an
     * interactive prompt. Module state, globals and imports carry over from call to call; a limit or an
     * internal error discards the context, and the next call starts a fresh one.
     *
     * @throws UnsupportedOperationException on a backend that starts an interpreter per call (PyPy)
     */
    public Session session(String principal, Grants grants) {
        if (!runner.engine.sessions()) {
            throw new UnsupportedOperationException("sessions need the in-process backend; the " + backend
                    + " backend starts a process per call");
        }
        capabilities.check(grants);
        return new Session(runner, defaultLimits, principal, grants);
    }

    /** Where principals' persistent state lives. */
    /**
     * Whether the store of principals' {@code /tmp}s answers now: always for the data directory; for a state
     * database ({@link Builder#stateDatabase}), whether it can be reached and migrated, within a few seconds.
     */
    public boolean stateReachable() {
        return capabilities.stateReachable();
    }

    public Path dataDir() {
        return capabilities.dataDir();
    }

    /** The backend this Cordon runs calls with. */
    public Backend backend() {
        return backend;
    }

    /** Where this Cordon runs GraalPy's guest code: in this JVM or in worker processes. */
    public Isolation isolation() {
        return isolation;
    }

    /** How many contexts prepared ahead of demand are ready now (see {@link Builder#preparedContexts}). */
    public int preparedContextsReady() {
        return runner.engine.preparedReady();
    }

    /**
     * Guest threads at work now, including those still draining after their call returned at a limit
     * (a builtin that cannot be interrupted keeps its thread until it ends). They count against
     * {@code maxConcurrentRuns}: such threads can slow new calls down or get them REJECTED, never
     * multiply, until one is given up ({@link Builder#abandonAfter}).
     */
    public int activeGuestThreads() {
        return runner.activeGuestThreads();
    }

    /**
     * Guest threads given up on (see {@link Builder#abandonAfter}) that have not ended: each may still hold
     * memory in this JVM and, if it is not stuck but busy, a core. Always zero in {@link Isolation#PROCESS},
     * where a worker that does not stop is killed.
     */
    public int abandonedGuestThreads() {
        return runner.abandonedGuestThreads();
    }

    /**
     * Waits until no guest thread is at work (draining ones included) and no call is queued, and in
     * {@link Isolation#PROCESS} until every worker is up and idle again (a killed one's replacement included),
     * for a clean shutdown or a measurement that must start from rest.
     *
     * @return false if {@code timeout} passed first
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        return runner.guests.awaitIdle(timeout)
                && runner.engine.awaitStarted(Duration.ofNanos(Math.max(0, until - System.nanoTime())));
    }

    /**
     * Waits, at most {@code timeout}, until the backend has started what it starts ahead of demand: in
     * {@link Isolation#PROCESS}, every worker process, up and idle (each a JVM booting GraalPy: seconds apiece). A server calls
     * this before it listens, so that its first requests do not spend their wall time waiting for workers.
     *
     * @return whether it is started; false if the timeout passed first
     */
    public boolean awaitStarted(Duration timeout) throws InterruptedException {
        return runner.engine.awaitStarted(timeout);
    }

    /** Stops accepting calls, cancels running ones and releases the engine. */
    @Override
    public void close() {
        if (!runner.closed()) {
            runner.close();
        }
        capabilities.close();
    }

    /** A state database this Cordon connects to itself; its password is not printed. */
    private record StateDatabase(String url, String user, String password, int maxConnections) {
        @Override
        public String toString() {
            return url;
        }
    }

    /** Configures a {@link Cordon}. */
    public static final class Builder {
        private final Map<VirtualPath, HostTree> mounts = new LinkedHashMap<>();
        private final Gateway.Builder gateway = Gateway.builder();
        private Path dataDir = Path.of("var", "cordon");
        private Quota tmpQuota = Quota.DEFAULT;
        private Limits defaultLimits = Limits.DEFAULT;
        private int maxConcurrentRuns = Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
        private int maxQueuedRuns = 64;
        private Duration grace = Duration.ZERO;
        private Duration abandonAfter = Duration.ofSeconds(60);
        private double heapPressure = 0.75;
        private Backend backend = Backend.graalPy();
        private Isolation isolation = Isolation.fromEnvironment(System.getenv(), Isolation.IN_PROCESS);
        private long workerHeapBytes;
        private int preparedContexts;
        private java.util.List<String> preloadModules = java.util.List.of();
        private DataSource stateSource;
        private StateDatabase stateDatabase;

        private Builder() {
        }

        /** Opens the principals' store this configuration names, when a call first needs it. */
        private Supplier<PrincipalStore> store() {
            Path dir = dataDir;
            Quota quota = tmpQuota;
            DataSource source = stateSource;
            StateDatabase database = stateDatabase;
            return () -> {
                try {
                    if (source != null) {
                        return new PostgresStore(source, quota, dir.resolve("open-files"));
                    }
                    if (database != null) {
                        return PostgresStore.connect(database.url(), database.user(), database.password(),
                                database.maxConnections(), quota, dir.resolve("open-files"));
                    }
                    return new DataDirectory(dir, quota);
                } catch (UncheckedIOException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            };
        }

        /**
         * Declares a host directory the guest may see at {@code mountPoint} when a call is granted
         * {@code fs.read:<mountPoint>}. Host symbolic links that lead out of the directory are not followed.
         *
         * @throws IllegalArgumentException if the mount point is reserved ({@code /} and the sandbox's own
         *                                  layout: {@code /usr/lib}, {@code /dev}, {@code /tmp}, {@code /pypy}),
         *                                  already used, or the access is not READ_ONLY
         */
        public Builder mount(String mountPoint, Path hostDirectory, Access access) {
            VirtualPath point = VirtualPath.of(mountPoint);
            if (ReservedPaths.isReserved(point)) {
                throw new IllegalArgumentException("mount point " + point + " is reserved by the sandbox");
            }
            if (access != Access.READ_ONLY) {
                throw new IllegalArgumentException("only READ_ONLY mounts are supported; /tmp is the writable place");
            }
            if (mounts.putIfAbsent(point, new HostTree(hostDirectory)) != null) {
                throw new IllegalArgumentException("mount point " + point + " is declared twice");
            }
            return this;
        }

        /**
         * Registers a host service that calls granted {@code gateway:<name>} reach through a token
         * ({@code from cordon import gateway; gateway.connect(name)}). Built-in services are in
         * {@code dev.cordon.capabilities.services}: {@code SqlService}, {@code KeyValueService},
         * {@code HttpService}; an application registers its own by implementing {@link Service}.
         *
         * @throws IllegalArgumentException if the name is malformed or already registered
         */
        public Builder service(String name, Service service) {
            gateway.service(name, service);
            return this;
        }

        /** Where principals' persistent state lives (default {@code var/cordon}, created on first use). */
        public Builder dataDir(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            return this;
        }

        /**
         * Keeps principals' {@code /tmp}s and quota ledgers in a PostgreSQL database that the application's pool
         * reaches, instead of under the data directory, so that every Cordon on that database (one per node of a
         * service) gives a principal the same files under one quota (docs/state.md says when a write becomes
         * visible to other nodes). The schema is created or migrated when a call is first granted {@code fs.tmp};
         * files open for writing are worked on under the data directory. The application closes its pool.
         */
        public Builder stateDatabase(DataSource source) {
            this.stateSource = Objects.requireNonNull(source, "source");
            this.stateDatabase = null;
            return this;
        }

        /**
         * As {@link #stateDatabase(DataSource)}, with a connection pool of this Cordon's own (HikariCP, 16
         * connections) on the database at {@code jdbcUrl}, closed with it.
         */
        public Builder stateDatabase(String jdbcUrl, String user, String password) {
            return stateDatabase(jdbcUrl, user, password, 16);
        }

        /** As {@link #stateDatabase(String, String, String)}, with at most {@code maxConnections} connections. */
        public Builder stateDatabase(String jdbcUrl, String user, String password, int maxConnections) {
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1");
            }
            this.stateDatabase = new StateDatabase(Objects.requireNonNull(jdbcUrl, "jdbcUrl"), user, password,
                    maxConnections);
            this.stateSource = null;
            return this;
        }

        /**
         * How much each principal may keep in its {@code /tmp} (default {@link Quota#DEFAULT}: 64 MiB in
         * 10,000 entries). Going over raises {@code EDQUOT} in the guest.
         */
        public Builder tmpQuota(Quota quota) {
            this.tmpQuota = Objects.requireNonNull(quota, "quota");
            return this;
        }

        /** The limits of calls that set none. */
        public Builder defaultLimits(Limits limits) {
            this.defaultLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** How many calls may run at once (default: twice the processors, at least 2). */
        public Builder maxConcurrentRuns(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConcurrentRuns must be at least 1");
            }
            this.maxConcurrentRuns = n;
            return this;
        }

        /** How many calls may wait for a free slot; past that a call is REJECTED at once (default 64). */
        public Builder maxQueuedRuns(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxQueuedRuns must not be negative");
            }
            this.maxQueuedRuns = n;
            return this;
        }

        /**
         * How long past a limit the caller waits for the guest to stop before it gets its result anyway
         * (default zero: the result comes at the limit, within the watchdog's 5 ms period, while the guest
         * is cancelled in the background). A longer grace lets output written just before the limit in.
         * A guest stuck in work that cannot be interrupted keeps its thread until it stops or is given up
         * ({@link #abandonAfter}), and the pool's bound counts it meanwhile.
         */
        public Builder grace(Duration grace) {
            this.grace = Objects.requireNonNull(grace, "grace");
            return this;
        }

        /**
         * How long after its call was answered at a limit a guest thread that is still at work keeps its slot
         * (default 60 s). Past it, Cordon gives the thread up: it logs a warning, counts it in
         * {@link Cordon#abandonedGuestThreads()}, and starts another thread in its place, so that a guest stuck where
         * no cancel reaches (a deadlock inside the engine has been seen) does not take a run slot for the rest of
         * the process's life. Whatever the thread holds stays in the heap until it ends. At most
         * {@code maxConcurrentRuns} threads are given up at once. Only in {@link Isolation#IN_PROCESS}: a worker
         * process that does not stop is killed.
         */
        public Builder abandonAfter(Duration after) {
            if (after == null || after.isNegative() || after.isZero()) {
                throw new IllegalArgumentException("abandonAfter must be a positive duration");
            }
            this.abandonAfter = after;
            return this;
        }

        /**
         * The fraction of the maximum heap that may survive a garbage collection (default 0.75). Past it, the
         * running call that has allocated the most is stopped with {@code MEMORY_LIMIT}, once per collection,
         * so that no {@code OutOfMemoryError} reaches the host or another call.
         */
        public Builder heapPressure(double fraction) {
            if (!(fraction > 0 && fraction < 1)) {
                throw new IllegalArgumentException("heapPressure is a fraction between 0 and 1");
            }
            this.heapPressure = fraction;
            return this;
        }

        /**
         * How many contexts to keep booted ahead of demand (default 0: each call boots its own). A call
         * takes a prepared context when one is ready, so its latency does not include GraalPy's start-up;
         * each serves one call only and is closed after it. Preparing costs the same CPU as booting on
         * demand, done while the process has spare time, and each idle context holds some heap (see the
         * docs/performance.md): worth it for servers, not for a one-shot command.
         */
        public Builder preparedContexts(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("preparedContexts must not be negative");
            }
            this.preparedContexts = n;
            return this;
        }

        /**
         * Standard-library modules that each context prepared ahead imports before the call that takes it, so
         * that a call importing them finds them loaded, as CPython finds the modules its start-up imported
         * (default none). Worth it where most calls import the same modules (a server whose tenants' programs
         * import {@code json}): the import then costs the call nothing, and the preparing is done while the
         * process has spare time. Module state stays the context's own: each prepared context imports the
         * modules anew and serves one call. It applies to contexts prepared ahead, in process (with
         * {@link #preparedContexts} above 0) and in every worker process, and not to a context a call boots
         * for itself when none is ready, to sessions, or to the PyPy backend. A name that is not a standard
         * module, or a module the sandbox refuses, is logged once and left out.
         *
         * @param modules module names such as {@code "json"} or {@code "xml.etree.ElementTree"}, at most 100
         * @throws IllegalArgumentException if a name is not a dotted Python identifier
         */
        public Builder preloadModules(java.util.List<String> modules) {
            if (modules.size() > 100) {
                throw new IllegalArgumentException("preloadModules takes at most 100 names, not " + modules.size());
            }
            for (String m : modules) {
                if (m == null || !m.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
                    throw new IllegalArgumentException("preloadModules: " + (m == null ? "null" : "'" + m + "'")
                            + " is not a module name (a dotted Python identifier, such as xml.etree.ElementTree)");
                }
            }
            this.preloadModules = java.util.List.copyOf(new java.util.LinkedHashSet<>(modules));
            return this;
        }

        /** As {@link #preloadModules(java.util.List)}. */
        public Builder preloadModules(String... modules) {
            return preloadModules(java.util.Arrays.asList(modules));
        }

        /**
         * Which interpreter runs the calls (default {@link Backend#graalPy()}). With
         * {@link Backend#pypySandbox}, each call starts a sandboxed PyPy process; sessions and prepared
         * contexts belong to the in-process backend and are not available.
         */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Where GraalPy runs guest code (default {@link Isolation#IN_PROCESS}, unless the environment's
         * {@value Isolation#VARIABLE} says otherwise). With {@link Isolation#PROCESS},
         * {@code maxConcurrentRuns + 1} worker JVMs are started in the background, each with a heap of its own
         * ({@link #workerHeap}); a call runs in one of them while its filesystem, gateway, limits and audit trail
         * stay here.
         */
        public Builder isolation(Isolation isolation) {
            this.isolation = Objects.requireNonNull(isolation, "isolation");
            return this;
        }

        /**
         * Each worker process's maximum heap in process isolation (default: the default limits' memory, at most
         * 8 GiB, plus 384 MiB for the engine). A call that runs its worker out of heap ends with
         * {@code MEMORY_LIMIT}, and the worker is replaced.
         */
        public Builder workerHeap(long bytes) {
            if (bytes < (64L << 20)) {
                throw new IllegalArgumentException("a worker's heap is at least 64 MiB");
            }
            this.workerHeapBytes = bytes;
            return this;
        }

        /**
         * Starts the engine (this takes seconds the first time in a JVM), or checks the PyPy sandbox binary
         * and finds out which protocol it speaks.
         *
         * @throws IllegalArgumentException if the PyPy sandbox binary or its library cannot be used
         */
        public Cordon build() {
            return new Cordon(this);
        }
    }
}
