package dev.cordon;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Capability;
import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.Gateway;
import dev.cordon.capabilities.gateway.GatewayAccess;
import dev.cordon.capabilities.vfs.PrincipalStore;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.Engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What a {@code Cordon} can grant, and what a grant gives one call: the declared mounts, the principals'
 * {@code /tmp} under the data directory, and the registered services. Turns a principal and its grants into
 * the call's filesystem, working directory and gateway, the same for every backend. Thread-safe.
 */
final class CallCapabilities implements AutoCloseable {

    private static final VirtualPath TMP = VirtualPath.of("/tmp");

    private final Engine engine;
    private final Map<VirtualPath, HostTree> mounts;
    private final Gateway gateway;
    private final Path dataDir;
    private final Supplier<PrincipalStore> openStore;
    private volatile PrincipalStore store;
    private boolean closed;

    /**
     * @param openStore opens where principals' {@code /tmp}s live, when a call is first granted one; it
     *                  throws {@link IllegalStateException} if the store cannot be used
     */
    CallCapabilities(Engine engine, Map<VirtualPath, HostTree> mounts, Gateway gateway, Path dataDir,
                     Supplier<PrincipalStore> openStore) {
        this.engine = engine;
        this.mounts = Map.copyOf(mounts);
        this.gateway = gateway;
        this.dataDir = dataDir;
        this.openStore = openStore;
    }

    Path dataDir() {
        return dataDir;
    }

    /**
     * Checks that every grant names something this Cordon has.
     *
     * @throws IllegalArgumentException for a mount or service that was never declared
     * @throws IllegalStateException    if {@code fs.tmp} is granted and the data directory is unusable
     */
    void check(Grants grants) {
        for (Capability c : grants.capabilities()) {
            switch (c.kind()) {
                case READ_MOUNT -> {
                    if (!mounts.containsKey(VirtualPath.of(c.argument()))) {
                        throw new IllegalArgumentException("granted " + c + " but no mount is declared at "
                                + c.argument());
                    }
                }
                case TMP -> store();
                case GATEWAY -> {
                    if (!gateway.has(c.argument())) {
                        throw new IllegalArgumentException("granted " + c + " but no service " + c.argument()
                                + " is registered");
                    }
                }
            }
        }
    }

    /**
     * The filesystem a call sees: the engine's own layout plus the mounts it was granted and, with
     * {@code fs.tmp}, its principal's {@code /tmp}. Refusals are recorded to {@code audit} until the filesystem
     * is pointed at another call's trail.
     */
    VirtualFileSystem fileSystem(Principal principal, Grants grants, AuditTrail audit) {
        VirtualFileSystem.Builder fs = engine.baseFileSystem().audit(audit);
        for (Capability c : grants.capabilities()) {
            if (c.kind() == Capability.Kind.READ_MOUNT) {
                VirtualPath point = VirtualPath.of(c.argument());
                fs.mount(point.toString(), mounts.get(point));
            } else if (c.kind() == Capability.Kind.TMP) {
                try {
                    fs.mount(TMP.toString(), store().tmp(principal));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open the /tmp of " + principal, e);
                }
            }
        }
        return fs.build();
    }

    /** Records, at the start of a call, each tree its grants mount. */
    static void recordMounts(Grants grants, AuditTrail audit) {
        for (Capability c : grants.capabilities()) {
            if (c.kind() == Capability.Kind.READ_MOUNT) {
                audit.allowed("fs", "mount", VirtualPath.of(c.argument()).toString());
            } else if (c.kind() == Capability.Kind.TMP) {
                audit.allowed("fs", "mount", TMP.toString());
            }
        }
    }

    /** Where the guest starts: its writable {@code /tmp} when granted one, else the root. */
    static String workingDirectory(Grants grants) {
        return grants.capabilities().stream().anyMatch(c -> c.kind() == Capability.Kind.TMP) ? TMP.toString() : "/";
    }

    /** The gateway of one execution (or one session): the services it was granted, under a fresh id. */
    GatewayAccess gateway(Principal principal, Grants grants, AuditTrail audit) {
        Set<String> services = new HashSet<>();
        for (Capability c : grants.capabilities()) {
            if (c.kind() == Capability.Kind.GATEWAY) {
                services.add(c.argument());
            }
        }
        return gateway.open(principal, UUID.randomUUID().toString(), services, audit);
    }

    /**
     * The principals' store, opened when a call is first granted {@code fs.tmp}, so that a Cordon that never
     * grants it never touches the disk or the database.
     *
     * @throws IllegalStateException if the store cannot be used (see {@code DataDirectory}, {@code PostgresStore})
     */
    private PrincipalStore store() {
        PrincipalStore s = store;
        if (s == null) {
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("this Cordon is closed");
                }
                s = store;
                if (s == null) {
                    s = openStore.get();
                    store = s;
                }
            }
        }
        return s;
    }

    /** Whether principals' store answers now; opening it first if no call has yet. */
    boolean stateReachable() {
        try {
            return store().reachable();
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Releases the store (a database's connections), once no call uses it. */
    @Override
    public synchronized void close() {
        closed = true;
        if (store != null) {
            store.close();
        }
    }
}
