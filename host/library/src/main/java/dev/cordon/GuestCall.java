package dev.cordon;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Capability;
import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.graalpy.GraalPySandbox;
import dev.cordon.engine.graalpy.GuestBridge;
import dev.cordon.engine.pypy.PyPyRun;
import dev.cordon.governor.CappedOutput;
import dev.cordon.governor.RunMonitor;
import dev.cordon.governor.Watchdog;

import java.io.IOException;
import java.io.UncheckedIOException;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * One call from submission to result. The guest's code runs on a guest thread; the caller waits for
 * whichever comes first: the guest finishing, or a limit reached plus the grace period (the guest may be
 * inside work that cannot be interrupted at once; it keeps its thread until it stops, and its context is
 * closed then).
 */
final class GuestCall {

    private final Cordon cordon;
    private final Execution execution;
    private final Session session;
    private final boolean interactive;
    private final RunMonitor monitor;
    private final AuditTrail audit = new AuditTrail();
    private final CappedOutput stdout;
    private final CappedOutput stderr;
    private final CompletableFuture<ExecutionResult> done = new CompletableFuture<>();
    private final GatewayAccess gateway;
    private volatile long prepareNanos;

    GuestCall(Cordon cordon, Execution execution, Limits limits) {
        this(cordon, execution, limits, null, false);
    }

    GuestCall(Cordon cordon, Execution execution, Limits limits, Session session, boolean interactive) {
        this.cordon = cordon;
        this.execution = execution;
        this.session = session;
        this.interactive = interactive;
        this.monitor = new RunMonitor(limits, cordon.heapGuard());
        this.gateway = session != null ? session.gateway()
                : openGateway(cordon, execution.principal(), execution.grants(), audit);
        this.stdout = new CappedOutput(limits.outputBytes(), execution.stdoutTee(),
                () -> monitor.trip(Status.OUTPUT_LIMIT, "stdout went past the output limit of "
                        + Sizes.format(limits.outputBytes())));
        this.stderr = new CappedOutput(limits.outputBytes(), execution.stderrTee(),
                () -> monitor.trip(Status.OUTPUT_LIMIT, "stderr went past the output limit of "
                        + Sizes.format(limits.outputBytes())));
    }

    ExecutionResult submit() {
        Watchdog.Tick tick = this::tick;
        cordon.watchdog().watch(tick);
        try {
            try {
                cordon.guests().execute(this::runOnGuestThread);
            } catch (RejectedExecutionException e) {
                return ExecutionResult.rejected(cordon.closed() ? "this Cordon is closed"
                        : "too many calls at once: " + cordon.guests().getActiveCount() + " running and "
                        + cordon.guests().getQueue().size() + " waiting");
            }
            try {
                return done.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                monitor.trip(Status.TIMEOUT, "the caller was interrupted");
                return result(null, Status.TIMEOUT);
            } catch (ExecutionException e) {
                return internal(e.getCause());
            }
        } finally {
            cordon.watchdog().unwatch(tick);
            if (session == null) {
                // The call is over for its caller: its tokens die now, even if its thread is still draining.
                gateway.close();
            }
        }
    }

    /** Whether the heap guard may still stop this call: it runs and no limit has stopped it yet. */
    boolean stoppable() {
        return monitor.running() && monitor.tripped() == null;
    }

    long allocatedBytes() {
        return monitor.allocatedBytes();
    }

    long keptBytes() {
        return monitor.keptBytes();
    }

    void stopForHeapPressure(long live, long max) {
        monitor.trip(Status.MEMORY_LIMIT, "the host's heap is under pressure (" + Sizes.format(live) + " of "
                + Sizes.format(max) + " live after a collection) and this call had allocated the most ("
                + Sizes.format(monitor.allocatedBytes()) + ")");
    }

    /** The gateway of one execution: the services it was granted, under a fresh execution id. */
    static GatewayAccess openGateway(Cordon cordon, Principal principal, Grants grants, AuditTrail audit) {
        Set<String> services = new HashSet<>();
        for (Capability c : grants.capabilities()) {
            if (c.kind() == Capability.Kind.GATEWAY) {
                services.add(c.argument());
            }
        }
        return cordon.gateway().open(principal, UUID.randomUUID().toString(), services, audit);
    }

    /** Called by the watchdog: checks the limits, and answers the caller once the grace period is over. */
    private void tick(long now) {
        monitor.check(now);
        if (monitor.tripped() != null && !done.isDone()
                && now - monitor.trippedNanos() >= cordon.grace().toNanos()) {
            done.complete(result(null, monitor.tripped()));
        }
    }

    private void runOnGuestThread() {
        if (done.isDone()) {
            return;
        }
        if (cordon.pypy() != null) {
            runInPyPy();
            return;
        }
        long start = System.nanoTime();
        GraalPySandbox sandbox = null;
        try {
            sandbox = session != null ? session.sandbox() : openSandbox();
            GraalPySandbox s = sandbox;
            monitor.onTrip(s::cancel);
            sandbox.bind(execution.openStdin(), stdout, stderr, execution.paramsJson(),
                    monitor.limits().outputBytes(), audit, gateway);
            prepareNanos = System.nanoTime() - start;
            GraalPySandbox.Outcome outcome = monitored(() -> s.run(execution.code(), execution.sourceName(),
                    interactive, maxOperationBytes(monitor.limits()), monitor.limits().wallTime()));
            done.complete(result(outcome, monitor.tripped(), sandbox.value()));
        } catch (Throwable t) {
            // A limit that cancelled the context can make the host's own calls into it fail: the limit is the answer.
            done.complete(monitor.tripped() != null ? result(null, monitor.tripped()) : internal(t));
        } finally {
            if (sandbox != null && (session == null || !sandbox.usable())) {
                sandbox.close();
            }
        }
    }

    /** The same call in an external PyPy sandbox process: the controller serves it on this thread. */
    private void runInPyPy() {
        long start = System.nanoTime();
        try {
            GuestBridge bridge = new GuestBridge(audit);
            gateway.recordTo(audit);
            bridge.bind(execution.paramsJson(), monitor.limits().outputBytes(), audit, gateway);
            boolean tmp = execution.grants().capabilities().stream().anyMatch(c -> c.kind() == Capability.Kind.TMP);
            PyPyRun run = PyPyRun.prepare(cordon.pypy(), fileSystemBuilder(cordon, execution, audit),
                    execution.code(), execution.sourceName(), bridge, execution.openStdin(), stdout, stderr,
                    monitor.limits().memoryBytes(), audit, tmp ? "/tmp" : "/");
            monitor.onTrip(run::kill);
            monitor.cpuSource(run::cpuNanos);
            prepareNanos = System.nanoTime() - start;
            done.complete(result(monitored(run::run), monitor.tripped(), bridge.value()));
        } catch (Throwable t) {
            done.complete(internal(t));
        }
    }

    /**
     * The most one uninterruptible guest operation may allocate at once: the call's memory limit, and never
     * more than an eighth of the heap, so that a few such operations at once leave the heap guard room to act.
     */
    static long maxOperationBytes(Limits limits) {
        return Math.min(limits.memoryBytes(), Runtime.getRuntime().maxMemory() / 8);
    }

    /** Runs the guest's code with the clocks running and the call among those the heap guard may stop. */
    private GraalPySandbox.Outcome monitored(java.util.function.Supplier<GraalPySandbox.Outcome> guest) {
        monitor.begin();
        cordon.running().add(this);
        try {
            return guest.get();
        } finally {
            monitor.end();
            cordon.running().remove(this);
        }
    }

    private GraalPySandbox openSandbox() {
        VirtualFileSystem vfs = fileSystem(cordon, execution, audit);
        GraalPySandbox prepared = cordon.preparedSandbox();
        if (prepared != null) {
            prepared.use(vfs);
            return prepared;
        }
        return GraalPySandbox.open(cordon.runtime(), vfs, audit);
    }

    /** The filesystem a call sees: the sandbox's own layout plus the mounts it was granted. */
    static VirtualFileSystem fileSystem(Cordon cordon, Execution execution, AuditTrail audit) {
        return fileSystemBuilder(cordon, execution, audit).build();
    }

    private static VirtualFileSystem.Builder fileSystemBuilder(Cordon cordon, Execution execution, AuditTrail audit) {
        VirtualFileSystem.Builder fs = (cordon.pypy() != null ? cordon.pypy().baseFileSystem()
                : cordon.runtime().baseFileSystem()).audit(audit);
        for (Capability c : execution.grants().capabilities()) {
            if (c.kind() == Capability.Kind.READ_MOUNT) {
                VirtualPath point = VirtualPath.of(c.argument());
                fs.mount(point.toString(), cordon.mounts().get(point));
                audit.allowed("fs", "mount", point.toString());
            } else if (c.kind() == Capability.Kind.TMP) {
                try {
                    fs.mount("/tmp", cordon.dataDirectory().tmp(execution.principal()));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open the /tmp of " + execution.principal(), e);
                }
                audit.allowed("fs", "mount", "/tmp");
            }
        }
        return fs;
    }

    private ExecutionResult result(GraalPySandbox.Outcome outcome, Status tripped) {
        return result(outcome, tripped, null);
    }

    private ExecutionResult result(GraalPySandbox.Outcome outcome, Status tripped, Object value) {
        Status status;
        GuestError error;
        if (tripped != null) {
            status = tripped;
            error = new GuestError(limitErrorType(tripped), monitor.reason(), "");
        } else if (outcome != null) {
            status = outcome.status();
            error = outcome.error();
        } else {
            status = Status.INTERNAL;
            error = new GuestError("InternalError", "the call ended without an outcome", "");
        }
        return new ExecutionResult(status, stdout.text(), stdout.truncated(), stderr.text(), stderr.truncated(),
                status == Status.OK || status == Status.ERROR ? value : null, error, usage(), audit.events());
    }

    private ExecutionResult internal(Throwable t) {
        GuestError error = new GuestError("InternalError", "Cordon failed to run the call: "
                + t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()), "");
        return new ExecutionResult(Status.INTERNAL, stdout.text(), stdout.truncated(), stderr.text(),
                stderr.truncated(), null, error, usage(), audit.events());
    }

    private Usage usage() {
        return new Usage(monitor.wallNanos() / 1_000_000, monitor.cpuNanos() / 1_000_000,
                monitor.allocatedBytes(), stdout.total(), stderr.total(), prepareNanos / 1_000_000);
    }

    private static String limitErrorType(Status status) {
        return switch (status) {
            case TIMEOUT -> "TimeoutError";
            case CPU_LIMIT -> "CPULimitExceeded";
            case MEMORY_LIMIT -> "MemoryError";
            case OUTPUT_LIMIT -> "OutputLimitExceeded";
            default -> status.name();
        };
    }
}
