package dev.cordon.capabilities;

import java.util.Objects;

/**
 * Whose authority a call runs with: whose {@code /tmp}, whose account at a gateway service. The name is
 * an arbitrary string chosen by the host application (a user name, a tenant id); any string is valid,
 * including the empty one, and two different names are always two different principals.
 */
public record Principal(String name) {

    /** The principal of calls that name none. */
    public static final Principal ANONYMOUS = new Principal("anonymous");

    public Principal {
        Objects.requireNonNull(name, "principal name");
    }

    public static Principal of(String name) {
        return new Principal(name);
    }

    @Override
    public String toString() {
        return name;
    }
}
