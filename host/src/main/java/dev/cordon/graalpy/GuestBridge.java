package dev.cordon.graalpy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.internal.Json;
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

    GuestBridge(AuditTrail audit) {
        this.audit = audit;
    }

    /** Starts a call: its parameters, its result bound and its audit trail; the previous result is gone. */
    void bind(String paramsJson, long maxResultBytes, AuditTrail audit) {
        this.paramsJson = paramsJson;
        this.maxResultBytes = maxResultBytes;
        this.audit = audit;
        this.value = null;
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

    Object value() {
        return value;
    }
}
