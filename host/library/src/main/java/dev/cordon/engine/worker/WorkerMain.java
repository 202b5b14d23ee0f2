package dev.cordon.engine.worker;

import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;
import dev.cordon.engine.graalpy.GraalPyEngine;
import dev.cordon.governor.HeapGuard;
import dev.cordon.governor.RunMonitor;
import dev.cordon.governor.ThreadMeter;
import dev.cordon.governor.Ticker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker process: a warm GraalPy engine that runs one call at a time for its parent. It holds no host path,
 * mount, credential or token: the call's mounts are trees whose every operation asks the parent, and so are
 * the call's bridge and stdin; its output goes to the parent as it is written. It enforces the call's memory
 * limit itself (its governor sees its own heap) and reports its guest thread's CPU time; the parent keeps the
 * wall time and the CPU limit, and kills it if it does not stop when told.
 */
public final class WorkerMain {

    /** How many fresh contexts run the warm-up before the worker first says it is ready. */
    private static final int WARM_UP_RUNS = 3;

    /**
     * The longest a worker waits for its next context before it says READY after a call; well inside the 30 s
     * in which the parent expects it ({@code WorkerEngine.READY_AGAIN}).
     */
    private static final Duration READY_WAIT = Duration.ofSeconds(10);

    private final Wire.Writer out;
    private final InputStream in;
    private final GraalPyEngine engine;
    private final Map<Integer, CompletableFuture<Wire.Reader>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private final BlockingQueue<Wire.Frame> commands = new LinkedBlockingQueue<>();
    private final HeapGuard heap = new HeapGuard(0.9);
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("cordon-worker-ticker").unstarted(r));
    private volatile Sandbox current;
    /** Whether a call's code is running now: the next context is booted only between calls. */
    private volatile boolean callRunning;

    private WorkerMain(InputStream in, OutputStream out, GuestWorld world, List<String> preload) {
        this.in = in;
        this.out = new Wire.Writer(out);
        this.engine = new GraalPyEngine(world, 1, () -> callRunning, true, preload);
    }

    public static void main(String[] args) throws Exception {
        // The channel is this process's stdin and stdout: nothing else may write to stdout.
        OutputStream channel = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        InputStream in = new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16);
        Wire.Frame hello = Wire.read(in);
        if (hello == null || hello.type() != Wire.HELLO) {
            System.err.println("cordon worker: no hello from the parent");
            System.exit(2);
        }
        Wire.Reader r = hello.reader();
        GuestWorld world = GuestWorld.fromText(r.string());
        String preload = r.string();
        WorkerMain worker = new WorkerMain(in, channel, world, preload.isEmpty() ? List.of() : List.of(preload.split(",")));
        worker.serve();
    }

    private void serve() throws Exception {
        warmUp();
        awaitPrepared(Duration.ofMinutes(3));
        Thread.ofPlatform().daemon().name("cordon-worker-reader").start(this::read);
        out.send(Wire.READY, null);
        while (true) {
            Wire.Frame f = commands.take();
            switch (f.type()) {
                case Wire.RUN -> run(f.reader());
                case Wire.PARSE -> parse(f.reader());
                case Wire.END_SESSION -> endSession();
                default -> throw new IllegalStateException("frame " + f.type());
            }
        }
    }

    /**
     * Runs {@code warmup.py} in a few fresh contexts before the first READY, so that the first calls this
     * worker serves do not pay for its JVM compiling GraalPy's interpreter (a cold worker ran a hostile
     * catalogue program at a third of the speed of a warm one). It costs the worker's start, which happens
     * in the background, ahead of demand.
     */
    private void warmUp() {
        String code;
        try (InputStream src = WorkerMain.class.getResourceAsStream("warmup.py")) {
            code = new String(src.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            return;
        }
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            AuditTrail audit = new AuditTrail(new ResponseBudget(1 << 20));
            try (Sandbox s = engine.open(engine.baseFileSystem().build(), "/")) {
                s.run(new RunSpec(code, "warmup.py", List.of("warmup.py"), false, InputStream.nullInputStream(),
                        OutputStream.nullOutputStream(), OutputStream.nullOutputStream(),
                        new dev.cordon.engine.CallBridge("{}", new ResponseBudget(1 << 20), audit, null), audit,
                        Limits.DEFAULT, Duration.ofSeconds(30), 1 << 20));
            } catch (RuntimeException e) {
                // A warm-up that fails costs only its time.
            }
        }
    }

    /** The parent's frames: replies go to the call waiting for them, a cancel acts at once, the rest queue. */
    private void read() {
        try {
            Wire.Frame f;
            while ((f = Wire.read(in)) != null) {
                switch (f.type()) {
                    case Wire.REPLY -> {
                        Wire.Reader r = f.reader();
                        CompletableFuture<Wire.Reader> waiting = pending.remove(r.i32());
                        if (waiting != null) {
                            waiting.complete(r);
                        }
                    }
                    case Wire.CANCEL -> {
                        Sandbox s = current;
                        if (s != null) {
                            s.cancel();
                        }
                    }
                    default -> commands.add(f);
                }
            }
        } catch (IOException e) {
            // The parent is gone, or spoke nonsense: either way this worker's life is over.
        }
        System.exit(0);
    }

    /** Sends a request and waits for its reply; a failure the parent reports is thrown as it was. */
    private Wire.Reader ask(byte type, Wire.Payload request) throws IOException {
        int id = nextId.incrementAndGet();
        CompletableFuture<Wire.Reader> reply = new CompletableFuture<>();
        pending.put(id, reply);
        out.send(type, new Wire.Payload().i32(id).raw(request.bytes()));
        Wire.Reader r;
        try {
            r = reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
        if (!r.bool()) {
            throw TreeCalls.failure(r);
        }
        return r;
    }

    private void run(Wire.Reader r) throws IOException {
        String code = r.string();
        String sourceName = r.string();
        List<String> argv = r.texts();
        boolean interactive = r.bool();
        String cwd = r.string();
        long wallMillis = r.i64();
        long memory = r.i64();
        long output = r.i64();
        long maxOperation = r.i64();
        int threads = r.i32();
        int mounts = r.i32();
        Sandbox sandbox = current;
        VirtualFileSystem.Builder fs = engine.baseFileSystem();
        for (int i = 0; i < mounts; i++) {
            fs.mount(r.string(), new TreeCalls.Remote(request -> ask(Wire.FS, request), i, r.bool()));
        }
        long bootNanos = 0;
        if (sandbox == null || !sandbox.usable()) {
            long booting = System.nanoTime();
            boolean ready = engine.preparedReady() > 0;
            sandbox = engine.open(fs.build(), cwd);
            current = sandbox;
            bootNanos = ready ? 0 : System.nanoTime() - booting;
        }
        Limits limits = Limits.builder().wallTime(Duration.ofMillis(Math.max(1, wallMillis)).plusSeconds(60))
                .memoryBytes(Math.max(1, memory)).threads(Math.max(0, Math.min(Limits.MAX_THREADS, threads))).build();
        AuditTrail audit = new AuditTrail(new ResponseBudget(1 << 20));
        RunSpec spec = new RunSpec(code, sourceName, argv, interactive, new Stdin(), new Output(1, output), new Output(2, output),
                new BridgeCalls.Remote(request -> ask(Wire.BRIDGE, request)), audit, limits,
                Duration.ofMillis(Math.max(1, wallMillis)), guardBound(maxOperation));
        // SQLite's memory is native, outside the heap: this process runs one call, so it gets the call's limit.
        dev.cordon.capabilities.sqlite.GuestDatabases.limitProcessHeap(Math.max(1, memory));
        RunMonitor monitor = new RunMonitor(limits, heap, Ticker.system(), ThreadMeter.system());
        Sandbox running = sandbox;
        monitor.cpuSource(running::cpuNanos);
        monitor.onTrip(running::cancel);
        monitor.begin(running.guestThread());
        // Ticks stop before DONE is sent: after it the parent expects READY and nothing else.
        AtomicBoolean ticking = new AtomicBoolean(true);
        ScheduledFuture<?> ticks = ticker.scheduleAtFixedRate(() -> {
            synchronized (ticking) {
                if (!ticking.get()) {
                    return;
                }
                monitor.check(System.nanoTime());
                try {
                    out.send(Wire.TICK, new Wire.Payload().i64(monitor.cpuNanos()).i64(monitor.allocatedBytes()));
                } catch (IOException e) {
                    // The parent is gone.
                }
            }
        }, 5, 5, TimeUnit.MILLISECONDS);
        Outcome outcome;
        callRunning = true;
        try {
            outcome = running.run(spec);
        } finally {
            callRunning = false;
            ticks.cancel(false);
            synchronized (ticking) {
                ticking.set(false);
            }
            monitor.end();
        }
        if (monitor.tripped() == Status.MEMORY_LIMIT) {
            outcome = new Outcome(Status.MEMORY_LIMIT, new dev.cordon.GuestError("MemoryError", monitor.reason(), ""));
        }
        Wire.Payload done = new Wire.Payload().u8(outcome.status().ordinal()).bool(outcome.error() != null);
        if (outcome.error() != null) {
            done.text(outcome.error().type()).text(outcome.error().message()).text(outcome.error().traceback());
        }
        done.bool(running.usable()).i64(bootNanos);
        List<AuditEvent> events = audit.events();
        done.i32(events.size());
        for (AuditEvent e : events) {
            done.text(e.category()).text(e.action()).text(e.target()).u8(e.outcome().ordinal()).text(e.detail());
        }
        out.send(Wire.DONE, done);
    }

    /**
     * The largest single allocation the operation guard lets a call start: the parent's bound (which its rule
     * in process sets too, so that the same program is refused the same way in both modes), and never more
     * than half this worker's heap.
     */
    private static long guardBound(long parents) {
        return Math.max(1, Math.min(parents, Runtime.getRuntime().maxMemory() / 2));
    }

    private void parse(Wire.Reader r) throws IOException {
        int id = r.i32();
        String code = r.string();
        Sandbox s = current;
        boolean incomplete = s != null && s.usable() && s.isIncomplete(code);
        out.send(Wire.PARSED, new Wire.Payload().i32(id).bool(incomplete));
    }

    /**
     * Ends the call: its context is closed on a thread of its own, and the worker says READY once the next
     * context is booted and the last one closed. Idle in the parent's eyes therefore means ready to run a call
     * at once: the parent gives the next call to another worker meanwhile, where a call sent to this one would
     * have waited for a boot, or booted a second context beside the one under way. A boot that takes longer than
     * {@link #READY_WAIT} (a machine far past its capacity) does not hold the worker back: it says READY, and
     * its next call takes the context when it is ready or boots its own.
     */
    private void endSession() throws Exception {
        Sandbox s = current;
        current = null;
        long until = System.nanoTime() + READY_WAIT.toNanos();
        Thread closing = s == null ? null : Thread.ofPlatform().daemon().name("cordon-worker-close").start(s::close);
        awaitPrepared(READY_WAIT);
        if (closing != null) {
            closing.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
        }
        out.send(Wire.READY, null);
    }

    /** Waits, at most {@code limit}, until the engine has a booted context ready for the next call. */
    private void awaitPrepared(Duration limit) throws InterruptedException {
        long until = System.nanoTime() + limit.toNanos();
        while (engine.preparedReady() < 1 && System.nanoTime() < until) {
            Thread.sleep(2);
        }
    }

    /** The guest's stdin: each read asks the parent for what its caller gave. */
    private final class Stdin extends InputStream {
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended || len == 0) {
                return ended ? -1 : 0;
            }
            byte[] data = ask(Wire.STDIN, new Wire.Payload().i32(Math.min(len, TreeCalls.CHUNK))).bytes();
            if (data.length == 0) {
                ended = true;
                return -1;
            }
            int n = Math.min(len, data.length);
            System.arraycopy(data, 0, b, off, n);
            return n;
        }
    }

    /**
     * The guest's stdout or stderr: each write goes to the parent, which counts it against the limit. Past the
     * limit and one byte more (enough for the parent to see the limit passed) nothing more is sent: a guest
     * that prints without end costs the parent no more than its limit.
     */
    private final class Output extends OutputStream {
        private final int stream;
        private long left;

        Output(int stream, long limit) {
            this.stream = stream;
            this.left = limit < 0 || limit == Long.MAX_VALUE ? Long.MAX_VALUE : limit + 1;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            len = (int) Math.min(len, left);
            left -= len;
            while (len > 0) {
                int n = Math.min(len, TreeCalls.CHUNK);
                out.send(Wire.OUT, new Wire.Payload().u8(stream).bytes(b, off, n));
                off += n;
                len -= n;
            }
        }
    }
}
