package dev.cordon.capabilities.gateway;

import java.util.Objects;

/**
 * A refusal or failure a service reports to the guest. It reaches guest code as the Python exception of
 * its {@link Kind}, with this exception's message, which must therefore hold nothing secret.
 */
public class GatewayException extends RuntimeException {

    /** The Python exception the guest sees. */
    public enum Kind {
        /** {@code PermissionError}: not allowed (not granted, a bad token, a write to a read-only service). */
        PERMISSION("PermissionError"),
        /** {@code ValueError}: the arguments are wrong. */
        INVALID("ValueError"),
        /** {@code LookupError}: no such operation or object. */
        NOT_FOUND("LookupError"),
        /** {@code TimeoutError}: the service's time limit passed. */
        TIMEOUT("TimeoutError"),
        /** {@code RuntimeError}: the service could not do it (a limit, a failure it explains). */
        FAILED("RuntimeError");

        private final String pythonType;

        Kind(String pythonType) {
            this.pythonType = pythonType;
        }

        public String pythonType() {
            return pythonType;
        }
    }

    private final Kind kind;

    public GatewayException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public GatewayException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    public static GatewayException permission(String message) {
        return new GatewayException(Kind.PERMISSION, message);
    }

    public static GatewayException invalid(String message) {
        return new GatewayException(Kind.INVALID, message);
    }

    public static GatewayException notFound(String message) {
        return new GatewayException(Kind.NOT_FOUND, message);
    }

    public static GatewayException timeout(String message) {
        return new GatewayException(Kind.TIMEOUT, message);
    }

    public static GatewayException failed(String message) {
        return new GatewayException(Kind.FAILED, message);
    }
}
