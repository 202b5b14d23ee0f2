package dev.cordon.capabilities.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.Principal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One execution's view of the gateway: it issues tokens for the services the execution was granted,
 * accepts only its own tokens, calls services with a context naming the execution's principal, and records
 * every call in the audit trail. {@link #close} revokes every token it issued.
 *
 * <p>The wire form ({@link #callJson}) is what the backends carry: arguments as a JSON array, and a reply
 * that is either {@code v<json value>} or {@code e<json {"type","message"}>}, where type is the Python
 * exception to raise. Both backends use it, so the guest sees the same thing on each.
 */
public final class GatewayAccess implements AutoCloseable {

    private final Gateway gateway;
    private final Principal principal;
    private final String executionId;
    private final Set<String> granted;
    private volatile AuditTrail audit;
    private volatile Instant deadline = Instant.MAX;
    private final ConcurrentLinkedQueue<String> issued = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    GatewayAccess(Gateway gateway, Principal principal, String executionId, Set<String> granted, AuditTrail audit) {
        this.gateway = gateway;
        this.principal = principal;
        this.executionId = executionId;
        this.granted = granted;
        this.audit = audit;
    }

    /**
     * When the wall time of the call now using this access ends: services bound their work by it
     * ({@link CallContext#within}). A session's access serves several calls, each setting its own.
     */
    public void deadline(Instant deadline) {
        this.deadline = java.util.Objects.requireNonNull(deadline, "deadline");
    }

    /**
     * A fresh token for {@code service}.
     *
     * @throws GatewayException PERMISSION unless this execution was granted the service
     */
    public String connect(String service) {
        if (closed || service == null || !granted.contains(service)) {
            audit.denied("gateway", "connect", String.valueOf(service), "not granted");
            throw GatewayException.permission("gateway:" + service + " was not granted to this call");
        }
        String token = gateway.tokens().issue(new Tokens.Binding(executionId, service,
                new CallContext(principal, executionId, service)));
        issued.add(token);
        audit.allowed("gateway", "connect", service);
        return token;
    }

    /**
     * The service a token received as data stands for.
     *
     * @throws GatewayException PERMISSION for a token that is forged, revoked, expired, or another execution's
     */
    public String attach(String token) {
        return binding("attach", token).service();
    }

    /** Calls an operation through a token. */
    public Object call(String token, String operation, List<Object> arguments) {
        Tokens.Binding binding = binding(operation, token);
        Service service = gateway.service(binding.service());
        String action = String.valueOf(operation);
        long start = System.nanoTime();
        try {
            if (operation == null || operation.isEmpty()) {
                throw GatewayException.invalid("an operation name is required");
            }
            CallContext context = binding.context();
            Object result = service.call(new CallContext(context.principal(), context.executionId(),
                    context.service(), deadline), operation, arguments);
            Json.requireCompatible(result, "the result of " + binding.service() + "." + operation);
            audit.record("gateway", action, binding.service(), AuditEvent.Outcome.ALLOWED, "", since(start));
            return result;
        } catch (GatewayException e) {
            audit.record("gateway", action, binding.service(), e.kind() == GatewayException.Kind.PERMISSION
                    ? AuditEvent.Outcome.DENIED : AuditEvent.Outcome.FAILED, e.getMessage(), since(start));
            throw e;
        } catch (Exception e) {
            // A fault of the service: its details stay on the host.
            audit.record("gateway", action, binding.service(), AuditEvent.Outcome.FAILED,
                    e.getClass().getName(), since(start));
            throw new GatewayException(GatewayException.Kind.FAILED, "service " + binding.service() + " failed", e);
        }
    }

    /**
     * The wire form of {@link #call}: {@code argumentsJson} is a JSON array; the reply is {@code v} and the
     * JSON result, or {@code e} and a JSON object naming the Python exception type and its message.
     */
    public String callJson(String token, String operation, String argumentsJson) {
        List<Object> arguments;
        try {
            // No arguments is the common case of a round trip: skip the parser for it.
            Object parsed = argumentsJson == null || argumentsJson.isEmpty() || argumentsJson.equals("[]")
                    ? List.of() : Json.read(argumentsJson);
            if (!(parsed instanceof List<?> list)) {
                return error(GatewayException.invalid("arguments must be a list"));
            }
            @SuppressWarnings("unchecked")
            List<Object> args = (List<Object>) list;
            arguments = args;
        } catch (JsonProcessingException e) {
            return error(GatewayException.invalid("arguments are not JSON-compatible"));
        }
        try {
            Object result = call(token, operation, arguments);
            return result == null ? "vnull" : "v" + Json.write(result);
        } catch (GatewayException e) {
            return error(e);
        }
    }

    /** The wire form of {@link #connect}: {@code v} and the token as a JSON string, or an error. */
    public String connectJson(String service) {
        try {
            return "v" + Json.write(connect(service));
        } catch (GatewayException e) {
            return error(e);
        }
    }

    /** The wire form of {@link #attach}: {@code v} and the service name as a JSON string, or an error. */
    public String attachJson(String token) {
        try {
            return "v" + Json.write(attach(token));
        } catch (GatewayException e) {
            return error(e);
        }
    }

    /** The wire form of a refusal: {@code e} and the Python exception's type and message as JSON. */
    public static String error(GatewayException e) {
        Map<String, String> error = new LinkedHashMap<>();
        error.put("type", e.kind().pythonType());
        error.put("message", String.valueOf(e.getMessage()));
        return "e" + Json.write(error);
    }

    private Tokens.Binding binding(String action, String token) {
        Tokens.Binding b = closed ? null : gateway.tokens().lookup(token);
        if (b == null) {
            audit.denied("gateway", String.valueOf(action), "token", "unknown, revoked or expired token");
            throw GatewayException.permission("unknown, revoked or expired gateway token");
        }
        if (!b.executionId().equals(executionId)) {
            audit.denied("gateway", String.valueOf(action), b.service(), "token of another execution");
            throw GatewayException.permission("this gateway token belongs to another call");
        }
        return b;
    }

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Sends later audit events to {@code audit}: a session's calls each have their own trail. */
    public void recordTo(AuditTrail audit) {
        this.audit = audit;
    }

    /** The services granted to this execution. */
    public Set<String> granted() {
        return granted;
    }

    /** Revokes every token this execution was issued; later calls are refused. */
    @Override
    public void close() {
        closed = true;
        List<String> all = new ArrayList<>(issued);
        all.forEach(gateway.tokens()::revoke);
        issued.clear();
    }
}
