package dev.cordon.engine;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Json;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.gateway.GatewayException;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * A guest's one link to its own call, the same on every backend: the call's parameters, its result, its
 * gateway and the denials the guest stdlib records on the host's behalf. It carries no authority beyond that
 * call. Each backend reaches it its own way (GraalPy through exported methods of a host object, PyPy through
 * {@code /dev/cordon/gateway}); none of its methods throws for anything the guest sends: a problem comes back
 * as text for the Python side to raise. Thread-safe.
 */
public final class CallBridge implements Bridge {

    private static final String NO_GATEWAY = GatewayAccess.error(GatewayException.permission("no gateway in this call"));

    private final String paramsJson;
    private final ResponseBudget budget;
    private final AuditTrail audit;
    private final GatewayAccess gateway;
    private Object value;
    private long valueBytes;

    /**
     * @param paramsJson the call's parameters as a JSON object
     * @param budget     the call's response budget, which the result's JSON is charged to
     * @param audit      where denials are recorded
     * @param gateway    the call's gateway, or null for none
     */
    public CallBridge(String paramsJson, ResponseBudget budget, AuditTrail audit, GatewayAccess gateway) {
        this.paramsJson = paramsJson;
        this.budget = budget;
        this.audit = audit;
        this.gateway = gateway;
    }

    /** The call's parameters as a JSON object. */
    @Override
    public String params() {
        return paramsJson;
    }

    /**
     * Sets the call's result from its JSON text, checked here whatever the guest did to its own modules: valid
     * JSON, numbers finite (no NaN or infinity, however spelt), and within the call's response budget (the
     * previous result's share given back first). Returns why it was refused, or null.
     */
    @Override
    public synchronized String result(String json) {
        if (json == null) {
            return "result needs a value";
        }
        long bytes = ResponseBudget.utf8Length(json);
        budget.release(valueBytes);
        valueBytes = 0;
        value = null;
        if (!budget.take(bytes)) {
            return "result is larger than what remains of the call's response budget (" + budget.remaining()
                    + " of " + budget.limit() + " bytes)";
        }
        Object parsed;
        try {
            parsed = Json.read(json);
        } catch (Exception e) {
            budget.release(bytes);
            return "result is not valid JSON";
        }
        if (!finite(parsed)) {
            budget.release(bytes);
            return "result holds a number that is not finite (NaN and infinities are not JSON)";
        }
        value = parsed;
        valueBytes = bytes;
        return null;
    }

    private static boolean finite(Object v) {
        if (v instanceof Double d) {
            return Double.isFinite(d);
        }
        if (v instanceof Float f) {
            return Float.isFinite(f);
        }
        if (v instanceof BigDecimal) {
            return true;
        }
        if (v instanceof List<?> list) {
            for (Object o : list) {
                if (!finite(o)) {
                    return false;
                }
            }
        }
        if (v instanceof Map<?, ?> map) {
            for (Object o : map.values()) {
                if (!finite(o)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The value the guest set with {@code cordon.result(...)}, or null. */
    public synchronized Object value() {
        return value;
    }

    /**
     * A token for a granted service: {@code v} and the token as JSON, or {@code e} and the error
     * ({@link GatewayAccess#callJson} describes the form).
     */
    @Override
    public String gatewayConnect(String service) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.connectJson(service);
    }

    /** The service a token received as data stands for, in the same form. */
    @Override
    public String gatewayAttach(String token) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.attachJson(token);
    }

    /** Calls an operation through a token: arguments as a JSON array, the reply in the same form. */
    @Override
    public String gatewayCall(String token, String operation, String argumentsJson) {
        GatewayAccess g = gateway;
        return g == null ? NO_GATEWAY : g.callJson(token, operation, argumentsJson);
    }

    /** Records a denial the guest stdlib made on the host's behalf (a process, a socket, a thread...). */
    @Override
    public void deny(String category, String action, String target) {
        audit.denied(String.valueOf(category), String.valueOf(action), String.valueOf(target),
                "not available in the sandbox");
    }
}
