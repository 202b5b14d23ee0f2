package dev.cordon.capabilities;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The immutable set of capabilities granted to one call. Nothing is reachable unless it is in here.
 */
public final class Grants {

    private static final Grants NONE = new Grants(Set.of());

    private final Set<Capability> capabilities;

    private Grants(Set<Capability> capabilities) {
        this.capabilities = capabilities;
    }

    /** No capability at all: the standard library, stdin, stdout and stderr only. */
    public static Grants none() {
        return NONE;
    }

    /** Parses each name with {@link Capability#parse}. */
    public static Grants of(Collection<String> names) {
        Set<Capability> set = new LinkedHashSet<>();
        for (String name : names) {
            set.add(Capability.parse(name));
        }
        return set.isEmpty() ? NONE : new Grants(Collections.unmodifiableSet(set));
    }

    public static Grants of(String... names) {
        return of(java.util.Arrays.asList(names));
    }

    public boolean has(Capability capability) {
        return capabilities.contains(capability);
    }

    /** Whether {@code fs.tmp} is granted. */
    public boolean hasTmp() {
        return has(Capability.TMP);
    }

    /** Whether {@code fs.read:<mountPoint>} is granted. */
    public boolean canReadMount(String mountPoint) {
        return has(Capability.readMount(mountPoint));
    }

    /** Whether {@code gateway:<service>} is granted. */
    public boolean canUseService(String service) {
        return has(Capability.gateway(service));
    }

    /** The granted capabilities in the order they were given. */
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Grants g && g.capabilities.equals(capabilities);
    }

    @Override
    public int hashCode() {
        return capabilities.hashCode();
    }

    @Override
    public String toString() {
        return capabilities.toString();
    }
}
