package dev.cordon;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.engine.Sandbox;

import java.util.Objects;

/**
 * Consecutive calls of one principal in one interpreter context, for an interactive prompt: globals,
 * imported modules and anything the guest changed in them carry over from call to call; so do the
 * principal and the grants, fixed when the session opens. A call that hits a limit or an internal error
 * discards the context, and the next call starts a fresh one. Calls in a session run one at a time; each
 * records its own audit events, its filesystem's and its gateway's included.
 */
public final class Session implements AutoCloseable {

    private final CallRunner runner;
    private final Limits defaultLimits;
    private final Principal principal;
    private final Grants grants;
    private final Object sandboxLock = new Object();
    private Sandbox sandbox;
    private final GatewayAccess gateway;
    private volatile boolean closed;

    Session(CallRunner runner, Limits defaultLimits, String principal, Grants grants) {
        this.runner = runner;
        this.defaultLimits = defaultLimits;
        this.principal = Principal.of(principal);
        this.grants = Objects.requireNonNull(grants, "grants");
        // A session is one execution for the gateway: its tokens live until it closes. Each call points the
        // gateway's records at its own trail.
        this.gateway = runner.capabilities.gateway(this.principal, grants, new AuditTrail());
    }

    GatewayAccess gateway() {
        return gateway;
    }

    public Principal principal() {
        return principal;
    }

    /** Runs code in the session's context. The execution's principal and grants are the session's. */
    public synchronized ExecutionResult run(Execution execution) {
        return run(execution, false);
    }

    /**
     * Runs one REPL entry: like {@link #run}, and the value of an expression statement is printed as
     * Python's interactive prompt prints it.
     */
    public synchronized ExecutionResult runInteractive(Execution execution) {
        return run(execution, true);
    }

    /** Whether {@code code} is an unfinished statement that more lines could complete. */
    public synchronized boolean isIncomplete(String code) {
        return sandbox().isIncomplete(code);
    }

    private ExecutionResult run(Execution execution, boolean interactive) {
        if (closed) {
            return ExecutionResult.rejected("this session is closed");
        }
        if (!execution.principal().equals(principal) || !execution.grants().equals(grants)) {
            throw new IllegalArgumentException("a session runs with its own principal and grants");
        }
        Limits limits = execution.limits() != null ? execution.limits() : defaultLimits;
        return new GuestCall(runner, execution, limits, this, interactive).submit();
    }

    /**
     * The live sandbox, opened on first use and again after one was discarded. Called on guest threads
     * while {@link #run} holds the session's monitor, hence a lock of its own. Each run points the
     * sandbox's filesystem at its own audit trail.
     */
    Sandbox sandbox() {
        synchronized (sandboxLock) {
            if (sandbox == null || !sandbox.usable()) {
                sandbox = runner.engine.open(runner.capabilities.fileSystem(principal, grants, new AuditTrail()),
                        CallCapabilities.workingDirectory(grants));
            }
            return sandbox;
        }
    }

    @Override
    public void close() {
        closed = true;
        gateway.close();
        synchronized (sandboxLock) {
            if (sandbox != null) {
                sandbox.close();
                sandbox = null;
            }
        }
    }
}
