package dev.cordon.engine;

import dev.cordon.Backend;
import dev.cordon.Isolation;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.engine.graalpy.GraalPyEngine;
import dev.cordon.engine.pypy.PyPyEngine;
import dev.cordon.engine.worker.WorkerEngine;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The one place that maps a {@code Cordon}'s configuration to an {@link Engine}: one line per backend.
 */
public final class Engines {

    private Engines() {
    }

    /** How long a cancelled worker process has to be idle again before it is killed. */
    public static final Duration WORKER_KILL_GRACE = Duration.ofMillis(250);

    /**
     * What an engine is started with, besides its backend.
     *
     * @param isolation        where GraalPy runs guest code
     * @param world            the guest's virtual world, handed to every interpreter
     * @param preparedContexts how many interpreters to prepare ahead of demand, where the backend can
     * @param busy             whether calls are running now (preparing yields to them)
     * @param workers          how many worker processes to keep, in process isolation
     * @param workerHeapBytes  each worker's maximum heap, in process isolation
     * @param preload          standard modules each context prepared ahead imports before its call
     */
    public record Settings(Isolation isolation, GuestWorld world, int preparedContexts, BooleanSupplier busy,
                           int workers, long workerHeapBytes, java.util.List<String> preload) {
    }

    /**
     * Starts the engine the configuration names.
     *
     * @throws IllegalArgumentException if the backend cannot be used (a PyPy binary that is missing, say)
     */
    public static Engine start(Backend backend, Settings s) {
        return switch (backend) {
            case Backend.GraalPy g when s.isolation() == Isolation.PROCESS ->
                    new WorkerEngine(s.world(), s.workers(), s.workerHeapBytes(), WORKER_KILL_GRACE, s.preload());
            case Backend.GraalPy g -> new GraalPyEngine(s.world(), s.preparedContexts(), s.busy(), false, s.preload());
            case Backend.PyPy p -> new PyPyEngine(p, s.world());
        };
    }
}
