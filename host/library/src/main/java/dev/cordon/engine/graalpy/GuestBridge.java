package dev.cordon.engine.graalpy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.gateway.GatewayException;
import org.graalvm.polyglot.HostAccess;

import java.nio.charset.StandardCharsets;

/**
 * The one host object a guest holds: the {@code cordon} module's link to its own call. It carries no
 * authority beyond that call (its parameters, its result, its audit trail), and only the methods
 * annotated {@link HostAccess.Export} are visible to the guest. None of them throws: a problem comes back
 * as a string for the Python side to raise, so no host exception ever reaches guest code.
 */
public final class GuestBridge {

    private volatile String paramsJson = "{}";
    private volatile long maxResultBytes;
    private volatile AuditTrail audit;
    private volatile Object value;
    private volatile GatewayAccess gateway;

    public GuestBridge(AuditTrail audit) {
        this.audit = audit;
    }

    /**
     * Starts a call: its parameters, its result bound, its audit trail and its gateway; the previous
     * result is gone.
     */
    public void bind(String paramsJson, long maxResultBytes, AuditTrail audit, GatewayAccess gateway) {
        this.paramsJson = paramsJson;
        this.maxResultBytes = maxResultBytes;
        this.audit = audit;
        this.gateway = gateway;
        this.value = null;
    }

    /**
     * A token for a granted service: {@code v} and the token as JSON, or {@code e} and the error
     * ({@link GatewayAccess#callJson} describes the form).
     */
    @HostAccess.Export
    public String gatewayConnect(String service) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.connectJson(service);
    }

    /** The service a token received as data stands for, in the same form. */
    @HostAccess.Export
    public String gatewayAttach(String token) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.attachJson(token);
    }

    /** Calls an operation through a token: arguments as a JSON array, the reply in the same form. */
    @HostAccess.Export
    public String gatewayCall(String token, String operation, String argumentsJson) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.callJson(token, operation, argumentsJson);
    }

    private static final String NO_GATEWAY = GatewayAccess.error(GatewayException.permission("no gateway in this call"));

    /** The host's monotonic clock in seconds, for the guard's wall-time checks ({@code cordon/_guard.py}). */
    @HostAccess.Export
    public double monotonic() {
        return System.nanoTime() / 1e9;
    }

    /** The call's parameters as a JSON object. */
    @HostAccess.Export
    public String params() {
        return paramsJson;
    }

    /** Sets the call's result from its JSON text; returns why it was refused, or null. */
    @HostAccess.Export
    public String result(String json) {
        if (json == null) {
            return "result needs a value";
        }
        if (json.length() > maxResultBytes || json.getBytes(StandardCharsets.UTF_8).length > maxResultBytes) {
            return "result is larger than the output limit of " + maxResultBytes + " bytes";
        }
        try {
            value = Json.read(json);
            return null;
        } catch (Exception e) {
            return "result is not valid JSON";
        }
    }

    /** Records a denial the guest stdlib made on the host's behalf (a process, a socket, a thread...). */
    @HostAccess.Export
    public void deny(String category, String action, String target) {
        audit.denied(String.valueOf(category), String.valueOf(action), String.valueOf(target),
                "not available in the sandbox");
    }

    public Object value() {
        return value;
    }
}
