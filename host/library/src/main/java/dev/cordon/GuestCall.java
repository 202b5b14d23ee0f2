package dev.cordon;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.CallBridge;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;
import dev.cordon.governor.CappedOutput;
import dev.cordon.governor.RunMonitor;
import dev.cordon.governor.Watchdog;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * One call from submission to result. The guest's code runs on a guest thread; the caller waits for
 * whichever comes first: the guest finishing, or a limit reached plus the grace period (the guest may be
 * inside work that cannot be interrupted at once; it keeps its thread until it stops, and its sandbox is
 * closed then).
 */
final class GuestCall {

    private static final System.Logger LOG = System.getLogger(GuestCall.class.getName());

    private final CallRunner runner;
    private final Execution execution;
    private final Session session;
    private final boolean interactive;
    private final RunMonitor monitor;
    private final ResponseBudget budget;
    private final AuditTrail audit;
    private final CappedOutput stdout;
    private final CappedOutput stderr;
    private final CompletableFuture<ExecutionResult> done = new CompletableFuture<>();
    /** The call's own filesystem once it has one (never a session's, which outlives the call). */
    private volatile VirtualFileSystem fileSystem;
    private final GatewayAccess gateway;
    private final CallBridge bridge;
    private final Runnable task = this::runOnGuestThread;
    private volatile long prepareNanos;
    /** The guest thread while it is at work on this call, else null. */
    private volatile Thread guestThread;

    /**
     * @param session     the session whose sandbox and gateway the call uses, or null for a fresh sandbox
     * @param interactive evaluate as a REPL line
     */
    GuestCall(CallRunner runner, Execution execution, Limits limits, Session session, boolean interactive) {
        this.runner = runner;
        this.execution = execution;
        this.session = session;
        this.interactive = interactive;
        this.monitor = new RunMonitor(limits, runner.heapGuard, runner.ticker, runner.meter);
        this.budget = new ResponseBudget(limits.responseBytes());
        this.audit = new AuditTrail(budget);
        this.gateway = session != null ? session.gateway()
                : runner.capabilities.gateway(execution.principal(), execution.grants(), audit);
        this.bridge = new CallBridge(execution.paramsJson(), budget, audit, gateway);
        this.stdout = new CappedOutput(limits.outputBytes(), execution.stdoutTee(),
                () -> monitor.trip(Status.OUTPUT_LIMIT, "stdout went past the output limit of "
                        + Sizes.format(limits.outputBytes())));
        this.stderr = new CappedOutput(limits.outputBytes(), execution.stderrTee(),
                () -> monitor.trip(Status.OUTPUT_LIMIT, "stderr went past the output limit of "
                        + Sizes.format(limits.outputBytes())));
    }

    ExecutionResult submit() {
        if (!runner.guests.admit()) {
            gateway.close();
            return ExecutionResult.rejected("too many calls at once: " + runner.guests.busy() + " running and "
                    + runner.guests.getQueue().size() + " waiting");
        }
        monitor.accept();
        Watchdog.Tick tick = this::tick;
        runner.watchdog.watch(tick);
        try {
            try {
                runner.guests.execute(task);
            } catch (RejectedExecutionException e) {
                return ExecutionResult.rejected("this Cordon is closed");
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
            runner.watchdog.unwatch(tick);
            // The place is free by the time the caller has the answer, whatever the thread still does.
            runner.guests.leave();
            if (guestThread != null) {
                runner.draining(this);
            }
            if (session == null) {
                // The call is over for its caller: its tokens die now, even if its thread is still draining.
                gateway.close();
            }
        }
    }

    /**
     * Whether the heap guard may still stop this call: it runs, no limit has stopped it yet, and its guest
     * allocates in this JVM (a worker process's guest has a heap, and a governor, of its own).
     */
    boolean stoppable() {
        return monitor.running() && monitor.tripped() == null && !monitor.memoryElsewhere();
    }

    /** Samples the guest's thread now, so that calls compared at one collection are measured at it. */
    void sample() {
        monitor.sampleNow();
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

    /** Called by the watchdog: checks the limits, and answers the caller once the grace period is over. */
    private void tick(long now) {
        monitor.check(now);
        boolean queued = !monitor.pickedUp();
        if (monitor.tripped() != null && queued) {
            // Ended while waiting for a thread: it leaves the queue and never runs, so no grace is owed.
            runner.guests.remove(task);
        }
        if (monitor.tripped() != null && !done.isDone()
                && (queued || now - monitor.trippedNanos() >= runner.grace.toNanos())) {
            answer(result(null, monitor.tripped()));
        }
    }

    /**
     * Gives the caller its answer, once the files the guest left open are closed: saved as a process's exit
     * saves them, so that the caller's next call finds them on any node. A close that fails (a commit over the
     * quota) loses only that file's unsaved changes, as a failed close does on a network filesystem.
     */
    private void answer(ExecutionResult result) {
        VirtualFileSystem fs = fileSystem;
        if (fs != null && !done.isDone()) {
            try {
                fs.closeOpenFiles();
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "a file left open could not be saved", e);
            }
        }
        done.complete(result);
    }

    /** The guest thread while it is at work on this call, else null. */
    Thread guestThread() {
        return guestThread;
    }

    private void runOnGuestThread() {
        guestThread = Thread.currentThread();
        try {
            runGuest();
        } finally {
            guestThread = null;
        }
    }

    private void runGuest() {
        monitor.pickUp();
        if (done.isDone() || monitor.tripped() != null) {
            return;
        }
        long start = runner.ticker.read();
        Sandbox sandbox = null;
        try {
            CallCapabilities.recordMounts(execution.grants(), audit);
            if (session != null) {
                sandbox = session.sandbox();
            } else {
                // Opening may wait for a worker process: the call's wall time runs meanwhile, and a limit reached
                // then interrupts the wait, so that the caller has its answer on time and the call never runs.
                OpeningInterrupt opening = new OpeningInterrupt(Thread.currentThread());
                monitor.onTrip(opening::interrupt);
                try {
                    fileSystem = runner.capabilities.fileSystem(execution.principal(), execution.grants(), audit);
                    sandbox = runner.engine.open(fileSystem, CallCapabilities.workingDirectory(execution.grants()));
                } finally {
                    monitor.onTrip(() -> { });
                    opening.over();
                }
                if (monitor.tripped() != null) {
                    answer(result(null, monitor.tripped()));
                    return;
                }
            }
            Sandbox s = sandbox;
            monitor.onTrip(s::cancel);
            monitor.cpuSource(s::cpuNanos);
            if (s.allocatedBytes() >= 0) {
                monitor.allocationSource(s::allocatedBytes);
            }
            gateway.recordTo(audit);
            gateway.deadline(java.time.Instant.now().plus(monitor.timeLeft()));
            RunSpec spec = new RunSpec(execution.code(), execution.sourceName(), execution.argv(), interactive,
                    execution.openStdin(),
                    stdout, stderr, bridge, audit, monitor.limits(), monitor.timeLeft(),
                    maxOperationBytes(monitor.limits()));
            prepareNanos = runner.ticker.read() - start;
            Outcome outcome = monitored(s.guestThread(), () -> s.run(spec));
            prepareNanos += s.bootNanos();
            answer(result(outcome, monitor.tripped()));
        } catch (Throwable t) {
            // A limit that cancelled the sandbox can make the host's own calls into it fail: the limit is the answer.
            answer(monitor.tripped() != null ? result(null, monitor.tripped()) : internal(t));
        } finally {
            if (sandbox != null && (session == null || !sandbox.usable())) {
                sandbox.close();
            }
        }
    }

    /**
     * The most one uninterruptible guest operation may allocate at once: the call's memory limit, and never
     * more than an eighth of the heap, so that a few such operations at once leave the heap guard room to act.
     */
    static long maxOperationBytes(Limits limits) {
        return Math.min(limits.memoryBytes(), Runtime.getRuntime().maxMemory() / 8);
    }

    /**
     * Interrupts the guest thread while it opens the call's sandbox (waits for a worker process), and never
     * after: a limit trips on the watchdog's thread at any moment, and an interrupt delivered late, once the
     * thread had moved on to its next call, would end that call's own wait for a worker.
     */
    static final class OpeningInterrupt {
        private final Thread thread;
        private boolean opening = true;

        OpeningInterrupt(Thread thread) {
            this.thread = thread;
        }

        synchronized void interrupt() {
            if (opening) {
                thread.interrupt();
            }
        }

        /** On the opening thread: no interrupt comes after this, and none that came before is left. */
        synchronized void over() {
            opening = false;
            Thread.interrupted();
        }
    }

    /** Runs the guest's code with the clocks running and the call among those the heap guard may stop. */
    private Outcome monitored(Thread guestThread, Supplier<Outcome> guest) {
        monitor.begin(guestThread);
        runner.started(this);
        try {
            return guest.get();
        } finally {
            monitor.end();
            runner.ended(this);
        }
    }

    private ExecutionResult result(Outcome outcome, Status tripped) {
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
        Object value = status == Status.OK || status == Status.ERROR ? bridge.value() : null;
        return new ExecutionResult(status, stdout.text(), stdout.truncated(), stderr.text(), stderr.truncated(),
                value, bounded(error), usage(), audit.events());
    }

    /**
     * The error within the call's response budget: the type cut as an audit field is, the message and then
     * the traceback (its end, where the innermost frames and the exception are) cut to what remains, each cut
     * marked. What a guest raised or its interpreter reported is never kept larger.
     */
    private GuestError bounded(GuestError error) {
        if (error == null) {
            return null;
        }
        String type = ResponseBudget.cut(error.type(), ResponseBudget.MAX_FIELD_CHARS);
        budget.take(ResponseBudget.utf8Length(type));
        String message = budget.takeText(ResponseBudget.cut(error.message(), MAX_MESSAGE_CHARS), false);
        String traceback = budget.takeText(error.traceback(), true);
        return new GuestError(type, message, traceback);
    }

    /** The longest error message kept, in characters (the traceback ends with it again). */
    static final int MAX_MESSAGE_CHARS = 64 << 10;

    private ExecutionResult internal(Throwable t) {
        GuestError error = new GuestError("InternalError", "Cordon failed to run the call: "
                + t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()), "");
        return new ExecutionResult(Status.INTERNAL, stdout.text(), stdout.truncated(), stderr.text(),
                stderr.truncated(), null, bounded(error), usage(), audit.events());
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
