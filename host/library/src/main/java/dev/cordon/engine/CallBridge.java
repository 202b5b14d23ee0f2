package dev.cordon.engine;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.gateway.GatewayException;

import java.nio.charset.StandardCharsets;

/**
 * A guest's one link to its own call, the same on every backend: the call's parameters, its result, its
 * gateway and the denials the guest stdlib records on the host's behalf. It carries no authority beyond that
 * call. Each backend reaches it its own way (GraalPy through exported methods of a host object, PyPy through
 * {@code /dev/cordon/gateway}); none of its methods throws for anything the guest sends: a problem comes back
 * as text for the Python side to raise. Thread-safe.
 */
public final class CallBridge {

    private static final String NO_GATEWAY = GatewayAccess.error(GatewayException.permission("no gateway in this call"));

    private final String paramsJson;
    private final long maxResultBytes;
    private final AuditTrail audit;
    private final GatewayAccess gateway;
    private volatile Object value;

    /**
     * @param paramsJson     the call's parameters as a JSON object
     * @param maxResultBytes the largest result the call may return, in UTF-8 bytes of its JSON
     * @param audit          where denials are recorded
     * @param gateway        the call's gateway, or null for none
     */
    public CallBridge(String paramsJson, long maxResultBytes, AuditTrail audit, GatewayAccess gateway) {
        this.paramsJson = paramsJson;
        this.maxResultBytes = maxResultBytes;
        this.audit = audit;
        this.gateway = gateway;
    }

    /** The call's parameters as a JSON object. */
    public String params() {
        return paramsJson;
    }

    /** Sets the call's result from its JSON text; returns why it was refused, or null. */
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

    /** The value the guest set with {@code cordon.result(...)}, or null. */
    public Object value() {
        return value;
    }

    /**
     * A token for a granted service: {@code v} and the token as JSON, or {@code e} and the error
     * ({@link GatewayAccess#callJson} describes the form).
     */
    public String gatewayConnect(String service) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.connectJson(service);
    }

    /** The service a token received as data stands for, in the same form. */
    public String gatewayAttach(String token) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.attachJson(token);
    }

    /** Calls an operation through a token: arguments as a JSON array, the reply in the same form. */
    public String gatewayCall(String token, String operation, String argumentsJson) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.callJson(token, operation, argumentsJson);
    }

    /** Records a denial the guest stdlib made on the host's behalf (a process, a socket, a thread...). */
    public void deny(String category, String action, String target) {
        audit.denied(String.valueOf(category), String.valueOf(action), String.valueOf(target),
                "not available in the sandbox");
    }
}
