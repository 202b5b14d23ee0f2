package dev.cordon.engine.graalpy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;


/**
 * The guarded form of guest programs ({@code _cordon_graalpy/guard.py}): the rewritten code in which every
 * operation that GraalPy could not interrupt (a huge repeat, power, shift or materialised range) is
 * checked before it starts. Compiling that form costs a parse of the syntax tree in Python, several
 * milliseconds, so it is done once per program and kept here for every later context: as source text where
 * the guard can write the rewritten tree as text (the host then evaluates it as a source of its own, whose
 * code the engine shares between contexts), else as marshalled code.
 *
 * <p>Only a context that has run no guest code yet may fill the runtime's cache: its guard and its compiler
 * are exactly what the boot installed. A session context, whose earlier runs could have changed them,
 * compiles for itself and keeps the result in a cache of its own, shared with nothing. Thread-safe.
 */
final class GuardedCode {

    /**
     * A program's guarded form: source text to evaluate as written, or marshalled code (its bytes as Latin-1
     * characters) for the guard's {@code run_marshalled}.
     */
    record Form(String text, boolean isSource) {
    }

    private final Cache<String, Form> compiled;

    /** A cache of at most about {@code maxChars} characters of programs and their marshalled code. */
    GuardedCode(long maxChars) {
        this.compiled = Caffeine.newBuilder()
                .maximumWeight(maxChars)
                .<String, Form>weigher((key, form) -> key.length() * 2 + form.text().length())
                .build();
    }

    /** The guarded form of a program, or null. */
    Form get(String sourceName, String code) {
        return compiled.getIfPresent(key(sourceName, code));
    }

    /** Keeps the guarded form of a program. */
    void put(String sourceName, String code, Form form) {
        compiled.put(key(sourceName, code), form);
    }

    private static String key(String sourceName, String code) {
        return sourceName + '\0' + code;
    }
}
