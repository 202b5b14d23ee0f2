package dev.cordon.engine;

import dev.cordon.capabilities.vfs.VirtualFileSystem;

/**
 * The seam every backend implements: an interpreter runtime, started once per {@code Cordon}, that opens
 * {@link Sandbox sandboxes} over a call's filesystem. The capability layer (the virtual filesystem, the
 * gateway, the audit trail) stays on the host's side of it; a backend only translates its interpreter's
 * requests into those. {@link Engines} chooses the implementation from the configuration.
 */
public interface Engine extends AutoCloseable {

    /**
     * What every call's filesystem starts from: the interpreter's own library, the guest stdlib and the
     * devices, all read-only and all inside {@link ReservedPaths}. The caller adds the call's mounts and
     * {@code /tmp}.
     */
    VirtualFileSystem.Builder baseFileSystem();

    /**
     * Opens an interpreter over one call's filesystem. Cheap where the engine prepares interpreters ahead of
     * demand.
     *
     * @param fileSystem the call's filesystem, from {@link #baseFileSystem()} plus its grants
     * @param cwd        the working directory the guest starts in
     */
    Sandbox open(VirtualFileSystem fileSystem, String cwd);

    /** Whether one sandbox may serve a session's consecutive runs. */
    boolean sessions();

    /**
     * Whether guest code is compiled to machine code: GraalPy with the Graal compiler on this JVM. False for
     * GraalPy in its interpreter, and for an interpreter without a JIT (PyPy's sandbox builds).
     */
    default boolean jitCompiled() {
        return false;
    }

    /** How many sandboxes are prepared ahead of demand and ready now. */
    default int preparedReady() {
        return 0;
    }

    /**
     * Waits, at most {@code timeout}, until the engine is as ready to serve as it will get without demand:
     * for worker processes, until every worker of the pool is up and idle (replacements included). True at once
     * for an engine that starts nothing.
     */
    default boolean awaitStarted(java.time.Duration timeout) throws InterruptedException {
        return true;
    }

    /** Stops the runtime; sandboxes still running are released when they end. */
    @Override
    void close();
}
