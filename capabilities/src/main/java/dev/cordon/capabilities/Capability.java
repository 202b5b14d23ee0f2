package dev.cordon.capabilities;

import java.util.Objects;

/**
 * One named authority that a call may be granted. Capabilities are plain strings so that configuration
 * files and the command line can carry them:
 * <ul>
 *   <li>{@code fs.tmp}: a writable {@code /tmp} private to the call's principal;</li>
 *   <li>{@code fs.read:<mountpoint>}: read access to a mount declared on the {@code Cordon} builder;</li>
 *   <li>{@code gateway:<service>}: a token for a gateway service.</li>
 * </ul>
 * Parsing is strict: an unknown name is a mistake of the host program and is refused with
 * {@link IllegalArgumentException}, never silently ignored.
 */
public record Capability(Kind kind, String argument) {

    /** The families of capability. */
    public enum Kind {
        /** {@code fs.tmp}, no argument. */
        TMP("fs.tmp", false),
        /** {@code fs.read:<mountpoint>}. */
        READ_MOUNT("fs.read", true),
        /** {@code gateway:<service>}. */
        GATEWAY("gateway", true);

        private final String prefix;
        private final boolean takesArgument;

        Kind(String prefix, boolean takesArgument) {
            this.prefix = prefix;
            this.takesArgument = takesArgument;
        }

        public String prefix() {
            return prefix;
        }
    }

    /** The {@code fs.tmp} capability. */
    public static final Capability TMP = new Capability(Kind.TMP, "");

    public Capability {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(argument, "argument");
        if (kind.takesArgument && argument.isEmpty()) {
            throw new IllegalArgumentException("capability " + kind.prefix + " needs an argument, as in "
                    + kind.prefix + ":NAME");
        }
        if (!kind.takesArgument && !argument.isEmpty()) {
            throw new IllegalArgumentException("capability " + kind.prefix + " takes no argument");
        }
    }

    /** {@code fs.read:<mountpoint>}. */
    public static Capability readMount(String mountPoint) {
        return new Capability(Kind.READ_MOUNT, mountPoint);
    }

    /** {@code gateway:<service>}. */
    public static Capability gateway(String service) {
        return new Capability(Kind.GATEWAY, service);
    }

    /**
     * Parses a capability name such as {@code fs.tmp}, {@code fs.read:/data} or {@code gateway:db}.
     *
     * @throws IllegalArgumentException if the name is not one of the known forms
     */
    public static Capability parse(String name) {
        Objects.requireNonNull(name, "capability name");
        if (name.equals(Kind.TMP.prefix)) {
            return TMP;
        }
        int colon = name.indexOf(':');
        if (colon > 0) {
            String prefix = name.substring(0, colon);
            String argument = name.substring(colon + 1);
            for (Kind kind : Kind.values()) {
                if (kind.takesArgument && kind.prefix.equals(prefix)) {
                    return new Capability(kind, argument);
                }
            }
        }
        throw new IllegalArgumentException("unknown capability '" + name
                + "' (known: fs.tmp, fs.read:<mountpoint>, gateway:<service>)");
    }

    /** The capability's name, the form {@link #parse} accepts. */
    public String name() {
        return kind.takesArgument ? kind.prefix + ":" + argument : kind.prefix;
    }

    @Override
    public String toString() {
        return name();
    }
}
