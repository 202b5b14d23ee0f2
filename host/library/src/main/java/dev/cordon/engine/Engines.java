package dev.cordon.engine;

import dev.cordon.Backend;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.engine.graalpy.GraalPyEngine;
import dev.cordon.engine.pypy.PyPyEngine;

import java.util.function.BooleanSupplier;

/**
 * The one place that maps a {@code Cordon}'s configuration to an {@link Engine}: one line per backend.
 */
public final class Engines {

    private Engines() {
    }

    /**
     * Starts the engine the configuration names.
     *
     * @param world            the guest's virtual world, handed to every interpreter
     * @param preparedContexts how many interpreters to prepare ahead of demand, where the backend can
     * @param busy             whether calls are running now (preparing yields to them)
     * @throws IllegalArgumentException if the backend cannot be used (a PyPy binary that is missing, say)
     */
    public static Engine start(Backend backend, GuestWorld world, int preparedContexts, BooleanSupplier busy) {
        return switch (backend) {
            case Backend.GraalPy g -> new GraalPyEngine(world, preparedContexts, busy);
            case Backend.PyPy p -> new PyPyEngine(p, world);
        };
    }
}
