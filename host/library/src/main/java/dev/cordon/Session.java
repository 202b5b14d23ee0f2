package dev.cordon;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.Principal;
import dev.cordon.engine.graalpy.GraalPySandbox;

import java.util.Objects;

/**
 * Consecutive calls of one principal in one interpreter context, for an interactive prompt: globals,
 * imported modules and anything the guest changed in them carry over from call to call; so do the
 * principal and the grants, fixed when the session opens. A call that hits a limit or an internal error
 * discards the context, and the next call starts a fresh one. Calls in a session run one at a time.
 */
public final class Session implements AutoCloseable {

    private final Cordon cordon;
    private final Principal principal;
    private final Grants grants;
    private final Object sandboxLock = new Object();
    private GraalPySandbox sandbox;
    private final GatewayAccess gateway;
    private volatile boolean closed;

    Session(Cordon cordon, String principal, Grants grants) {
        this.cordon = cordon;
        this.principal = Principal.of(principal);
        this.grants = Objects.requireNonNull(grants, "grants");
        // A session is one execution for the gateway: its tokens live until it closes.
        this.gateway = GuestCall.openGateway(cordon, this.principal, grants, new AuditTrail());
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
        Limits limits = execution.limits() != null ? execution.limits() : cordon.defaultLimits();
        return new GuestCall(cordon, execution, limits, this, interactive).submit();
    }

    /**
     * The live context, created on first use and again after one was discarded. Called on guest threads
     * while {@link #run} holds the session's monitor, hence a lock of its own.
     */
    GraalPySandbox sandbox() {
        synchronized (sandboxLock) {
            if (sandbox == null || !sandbox.usable()) {
                AuditTrail audit = new AuditTrail();
                Execution template = Execution.builder().code("").principal(principal.name())
                        .grant(grants.capabilities().stream().map(Object::toString).toArray(String[]::new))
                        .build();
                sandbox = GraalPySandbox.open(cordon.runtime(), GuestCall.fileSystem(cordon, template, audit),
                        audit);
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
