package dev.cordon.capabilities.gateway;

import java.util.List;

/**
 * A host service guest code reaches through a gateway token. Registered under a name on the Cordon, it is
 * granted per call as {@code gateway:<name>}.
 *
 * <p>Arguments and results are JSON-compatible Java values: null, Boolean, Number, String, List, and Map
 * with String keys. Authority comes from the {@link CallContext}: the principal a call runs for is the
 * context's, never something the guest passed as an argument.
 *
 * <p>To refuse or fail in a way the guest should see, throw a {@link GatewayException}; it reaches the
 * guest as the Python exception it names, with its message. Any other exception is a fault of the
 * service: the guest sees only {@code RuntimeError("service <name> failed")} and the audit trail records
 * the exception's class. A service is called from many guest threads at once and must be thread-safe.
 */
@FunctionalInterface
public interface Service {

    /**
     * Performs one operation.
     *
     * @param context   who is calling, through which execution and grant
     * @param operation the operation's name, as the guest wrote it
     * @param arguments the guest's arguments, JSON-compatible, never null
     * @return a JSON-compatible result
     */
    Object call(CallContext context, String operation, List<Object> arguments) throws Exception;

    /** A short description for listings and the audit trail; it must not hold addresses or credentials. */
    default String describe() {
        return getClass().getSimpleName();
    }
}
