package dev.cordon.engine.graalpy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.graalvm.polyglot.Source;

/**
 * The {@link Source} objects of the programs that run as written (those the guard need not rewrite), one per
 * program, held strongly. The engine shares a source's parsed and compiled code between contexts only while
 * the {@code Source} object that first filled its cache entry lives: a new but equal object for each run lets
 * the entry go at the next young collection, after which each context parses the program again and the JIT
 * compiles that context's copy. Held here, the hundredth fresh context that runs a program reuses the code the
 * first one compiled.
 *
 * <p>Bounded by the programs' total length, since each entry keeps the engine's code for it alive; a program
 * evicted (or never seen) is simply parsed again. Nothing here is guest-specific state: a source is the
 * program's text and name, which the caller already had. Thread-safe.
 */
final class ProgramSources {

    private final Cache<String, Source> sources;

    /** A cache of programs whose texts add up to at most about {@code maxChars} characters. */
    ProgramSources(long maxChars) {
        this.sources = Caffeine.newBuilder()
                .maximumWeight(maxChars)
                .<String, Source>weigher((key, source) -> key.length())
                .executor(Runnable::run)
                .build();
    }

    /** The one source of this program under this name, built on first use. */
    Source of(String code, String sourceName) {
        return sources.get(sourceName + '\0' + code,
                key -> Source.newBuilder("python", code, sourceName).buildLiteral());
    }

    /** How many programs are held now. */
    long size() {
        sources.cleanUp();
        return sources.estimatedSize();
    }
}
