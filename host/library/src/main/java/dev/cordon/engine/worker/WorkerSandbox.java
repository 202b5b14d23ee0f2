package dev.cordon.engine.worker;

import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.vfs.FileTree;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The parent's side of one call (or one session's calls) in a worker: it sends the call, then serves the
 * worker's requests on the call's own thread (file operations on the call's mounts, bridge calls, stdin) and
 * takes its output, its CPU ticks and its end. Whatever the worker sends is checked before it is used; a frame
 * that breaks the protocol ends the worker and this call. A cancel asks the worker to stop, and kills it if it
 * has not within the engine's grace.
 */
final class WorkerSandbox implements Sandbox {

    private final WorkerEngine engine;
    private final WorkerProcess worker;
    private final List<VirtualPath> mountPoints = new ArrayList<>();
    private final List<FileTree> trees = new ArrayList<>();
    private final String cwd;
    private volatile boolean running;
    private volatile boolean cancelled;
    private volatile boolean broken;
    private volatile boolean sessionUsable = true;
    private volatile long cpuNanos;
    private volatile long allocatedBytes;
    private volatile long bootNanos;
    private volatile ScheduledFuture<?> killer;
    private int nextId = 1;

    /** The longest boot a worker may report: a call's whole wall time is far shorter. */
    static final long MAX_BOOT_NANOS = java.util.concurrent.TimeUnit.DAYS.toNanos(1);

    WorkerSandbox(WorkerEngine engine, WorkerProcess worker, VirtualFileSystem fileSystem, String cwd) {
        this.engine = engine;
        this.worker = worker;
        for (VirtualPath point : fileSystem.mountPoints()) {
            mountPoints.add(point);
            trees.add(fileSystem.tree(point));
        }
        this.cwd = cwd;
    }

    @Override
    public Outcome run(RunSpec spec) {
        TreeCalls.Server files = new TreeCalls.Server(trees);
        running = true;
        bootNanos = 0;
        try {
            if (cancelled || !worker.alive()) {
                return ended(spec);
            }
            Wire.Payload run = new Wire.Payload().text(spec.code()).text(spec.sourceName()).texts(spec.argv())
                    .bool(spec.interactive()).text(cwd).i64(spec.timeLeft().toMillis())
                    .i64(spec.limits().memoryBytes()).i64(spec.limits().outputBytes()).i64(spec.maxOperationBytes())
                    .i32(spec.limits().threads()).i32(mountPoints.size());
            for (int i = 0; i < mountPoints.size(); i++) {
                run.text(mountPoints.get(i).toString()).bool(trees.get(i).writable());
            }
            worker.out.send(Wire.RUN, run);
            while (true) {
                Wire.Frame f = Wire.read(worker.in);
                if (f == null) {
                    return ended(spec);
                }
                Outcome done = serve(f, spec, files);
                if (done != null) {
                    return done;
                }
            }
        } catch (Wire.ProtocolViolation e) {
            broken = true;
            worker.kill();
            spec.audit().denied("process", "protocol", "worker", e.getMessage());
            return Outcome.internal("WorkerProtocolError", "the worker process broke the protocol: " + e.getMessage());
        } catch (IOException e) {
            return ended(spec);
        } finally {
            running = false;
            ScheduledFuture<?> k = killer;
            if (k != null) {
                k.cancel(false);
            }
            files.closeAll();
        }
    }

    /** Handles one frame of the worker; the outcome when it is the end of the run, else null. */
    private Outcome serve(Wire.Frame f, RunSpec spec, TreeCalls.Server files) throws IOException {
        Wire.Reader r = f.reader();
        switch (f.type()) {
            case Wire.FS -> {
                int id = r.i32();
                Wire.Payload answer = new Wire.Payload();
                Wire.Payload reply = new Wire.Payload().i32(id);
                try {
                    files.answer(r, answer);
                    reply.bool(true).raw(answer.bytes());
                } catch (Wire.ProtocolViolation e) {
                    throw e;
                } catch (IOException e) {
                    TreeCalls.failure(reply.bool(false), e);
                } catch (RuntimeException e) {
                    TreeCalls.failure(reply.bool(false), new IOException("the file operation failed"));
                }
                worker.out.send(Wire.REPLY, reply);
            }
            case Wire.BRIDGE -> {
                int id = r.i32();
                Wire.Payload reply = new Wire.Payload().i32(id).bool(true);
                BridgeCalls.answer(spec.bridge(), r, reply);
                worker.out.send(Wire.REPLY, reply);
            }
            case Wire.STDIN -> {
                int id = r.i32();
                int max = r.i32();
                r.end();
                if (max < 0 || max > TreeCalls.CHUNK) {
                    throw new Wire.ProtocolViolation("a stdin read of " + max + " bytes");
                }
                // Off this thread: a caller's stdin may block, and the worker's other frames must go on.
                InputStream stdin = spec.stdin();
                Thread.ofPlatform().daemon().name("cordon-worker-stdin").start(() -> {
                    byte[] data;
                    try {
                        byte[] buffer = new byte[Math.max(1, max)];
                        int n = stdin.read(buffer, 0, buffer.length);
                        data = n <= 0 ? new byte[0] : java.util.Arrays.copyOf(buffer, n);
                    } catch (IOException e) {
                        data = new byte[0];
                    }
                    try {
                        worker.out.send(Wire.REPLY, new Wire.Payload().i32(id).bool(true).bytes(data));
                    } catch (IOException e) {
                        // The worker is gone.
                    }
                });
            }
            case Wire.OUT -> {
                int stream = r.u8();
                byte[] data = r.bytes();
                r.end();
                if (stream != 1 && stream != 2) {
                    throw new Wire.ProtocolViolation("output to stream " + stream);
                }
                (stream == 1 ? spec.stdout() : spec.stderr()).write(data);
            }
            case Wire.TICK -> {
                long cpu = r.i64();
                long allocated = r.i64();
                r.end();
                if (cpu >= 0) {
                    cpuNanos = cpu;
                }
                if (allocated >= 0) {
                    allocatedBytes = allocated;
                }
            }
            case Wire.DONE -> {
                Done done = decodeDone(r, spec.audit());
                sessionUsable = done.usable();
                bootNanos = done.bootNanos();
                return done.outcome();
            }
            default -> throw new Wire.ProtocolViolation("a frame of type " + f.type() + " during a run");
        }
        return null;
    }

    /**
     * How a run ended, as its worker said: the outcome, whether its context can serve the next run, and the time
     * the worker spent booting the run's context when none was ready.
     */
    record Done(Outcome outcome, boolean usable, long bootNanos) {
    }

    /** Reads a {@code DONE} payload, its events recorded (cut and charged) in {@code audit}. */
    static Done decodeDone(Wire.Reader r, dev.cordon.capabilities.AuditTrail audit) throws Wire.ProtocolViolation {
        int code = r.u8();
        if (code >= Status.values().length) {
            throw new Wire.ProtocolViolation("a status of " + code);
        }
        Status status = Status.values()[code];
        GuestError error = null;
        if (r.bool()) {
            error = new GuestError(r.string(), r.string(), r.string());
        }
        boolean usable = r.bool();
        long boot = r.i64();
        if (boot < 0 || boot > MAX_BOOT_NANOS) {
            throw new Wire.ProtocolViolation("a boot of " + boot + " ns");
        }
        int events = r.i32();
        if (events < 0 || events > Wire.MAX_ITEMS) {
            throw new Wire.ProtocolViolation(events + " events");
        }
        for (int i = 0; i < events; i++) {
            String category = r.string();
            String action = r.string();
            String target = r.string();
            int outcome = r.u8();
            String detail = r.string();
            if (outcome >= AuditEvent.Outcome.values().length) {
                throw new Wire.ProtocolViolation("an event outcome of " + outcome);
            }
            audit.record(category, action, target, AuditEvent.Outcome.values()[outcome], detail);
        }
        r.end();
        return new Done(new Outcome(status, error), usable, boot);
    }

    /** The outcome when the worker ended without saying how: killed after a cancel, out of heap, or dead. */
    private Outcome ended(RunSpec spec) {
        broken = true;
        if (cancelled) {
            return Outcome.internal("CancelledError", "the run was cancelled");
        }
        if (worker.ranOutOfHeap()) {
            return new Outcome(Status.MEMORY_LIMIT, new GuestError("MemoryError",
                    "the worker process ran out of its heap", ""));
        }
        return Outcome.internal("WorkerError", "the worker process ended unexpectedly");
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        Thread.ofPlatform().daemon().name("cordon-worker-cancel").start(() -> {
            try {
                worker.out.send(Wire.CANCEL, null);
            } catch (IOException e) {
                // Already gone.
            }
        });
        // A worker that is not idle again within the grace is killed; a spare takes its place.
        killer = engine.schedule(() -> {
            if (running) {
                broken = true;
                worker.kill();
            }
        }, engine.killGrace().toMillis());
    }

    @Override
    public long cpuNanos() {
        return cpuNanos;
    }

    @Override
    public long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public long bootNanos() {
        return bootNanos;
    }

    @Override
    public boolean usable() {
        return !cancelled && !broken && sessionUsable && worker.alive();
    }

    @Override
    public boolean isIncomplete(String code) {
        int id = nextId++;
        try {
            worker.out.send(Wire.PARSE, new Wire.Payload().i32(id).text(code));
            Wire.Frame f = Wire.read(worker.in);
            if (f == null || f.type() != Wire.PARSED) {
                throw new Wire.ProtocolViolation("no answer to a parse");
            }
            Wire.Reader r = f.reader();
            if (r.i32() != id) {
                throw new Wire.ProtocolViolation("the answer to another parse");
            }
            boolean incomplete = r.bool();
            r.end();
            return incomplete;
        } catch (IOException e) {
            broken = true;
            worker.kill();
            return false;
        }
    }

    @Override
    public void close() {
        // A cancelled run that stopped within the grace leaves a healthy worker: its context is closed on
        // END_SESSION like any other. Only a worker that had to be killed, or broke, is replaced.
        boolean healthy = !running && !broken && worker.alive();
        if (healthy) {
            try {
                worker.out.send(Wire.END_SESSION, null);
            } catch (IOException e) {
                healthy = false;
            }
        }
        engine.release(worker, healthy);
    }
}
