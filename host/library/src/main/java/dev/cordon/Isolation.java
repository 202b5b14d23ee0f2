package dev.cordon;

import java.util.Locale;
import java.util.Map;

/**
 * Where the GraalPy backend runs guest code: in this JVM, or in worker processes. Chosen once per
 * {@link Cordon} ({@link Cordon.Builder#isolation}), {@code --isolation} on the command line, {@code "isolation"}
 * in a service's configuration, or {@value #VARIABLE} in the environment.
 *
 * <ul>
 *   <li>{@link #IN_PROCESS}, the library's default: a context in this JVM per call; the cheapest, and the
 *       only mode with in-memory prepared contexts; limits are held by the operation guard, the governor and the
 *       heap guard, and a builtin the guard does not see keeps running in the shared heap after its call was
 *       answered.</li>
 *   <li>{@link #PROCESS}, the service's default: each call in a worker JVM with a heap of its own, killed if it
 *       does not stop within 250 ms of its limit; the capability layer stays here. What one call does to its
 *       worker's memory or CPU cannot reach the host or another call.</li>
 * </ul>
 * The PyPy sandbox backend is a process per call whatever this says.
 */
public enum Isolation {
    IN_PROCESS, PROCESS;

    /** The environment variable that names the isolation: {@code in-process} (the default) or {@code process}. */
    public static final String VARIABLE = "CORDON_ISOLATION";

    /**
     * Reads {@code in-process} or {@code process} (case-insensitive; {@code worker} and {@code workers} for
     * {@code process} too).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Isolation parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "in-process", "inprocess", "in_process" -> IN_PROCESS;
            case "process", "worker", "workers" -> PROCESS;
            default -> throw new IllegalArgumentException("isolation is '" + text + "'; it may be in-process or process");
        };
    }

    /** The isolation a deployment chose through {@value #VARIABLE}, else {@code fallback}. */
    public static Isolation fromEnvironment(Map<String, String> env, Isolation fallback) {
        String v = env.get(VARIABLE);
        return v == null || v.isBlank() ? fallback : parse(v);
    }

    /** The name the command line and configuration files use. */
    public String text() {
        return this == PROCESS ? "process" : "in-process";
    }
}
