package dev.cordon.testing;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;

import java.time.Duration;

/**
 * One Cordon for all the tests of a JVM: starting GraalPy's engine costs seconds, every call after that
 * gets its own fresh context anyway. Tests that need a differently configured Cordon build their own.
 */
public final class SharedCordon {

    /** Generous enough for a cold interpreter on a loaded 2-core machine. */
    public static final Limits LIMITS = Limits.builder().wallTime(Duration.ofSeconds(60)).build();

    private static Cordon cordon;

    private SharedCordon() {
    }

    public static synchronized Cordon get() {
        if (cordon == null) {
            cordon = Cordon.builder().defaultLimits(LIMITS).build();
            Runtime.getRuntime().addShutdownHook(new Thread(cordon::close));
        }
        return cordon;
    }

    /** Runs code in {@code cordon} as {@code principal} with the given grants. */
    public static ExecutionResult run(Cordon cordon, String principal, String code, String... grants) {
        return cordon.run(Execution.builder().principal(principal).code(code).grant(grants).build());
    }

    /** Runs code with no grants and the shared limits. */
    public static ExecutionResult run(String code) {
        return get().run(Execution.builder().code(code).build());
    }
}
