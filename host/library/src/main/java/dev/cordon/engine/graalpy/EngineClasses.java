package dev.cordon.engine.graalpy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Collections;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Initialises every class of the interpreter's own jars (GraalPy, Truffle, TRegex, and the ICU, XZ and JSON
 * code GraalPy's modules use) once per JVM, before the first guest call runs.
 *
 * <p>Why: GraalPy turns a Java stack overflow into RecursionError, so a guest's runaway recursion fills its
 * thread's stack and whatever GraalPy does at that depth may overflow. If that is a class's first use, the
 * overflow ends the class's static initialiser, and the JVM marks the class unusable for the rest of its life:
 * every later use, by any context of any tenant, is {@code NoClassDefFoundError}, which the guest sees as
 * SystemError. A recursion that retries from its handler with {@code range()} broke {@code range} for the JVM
 * that way, and another broke every exception raised inside a handler. With the classes initialised ahead at a
 * shallow depth, nothing is left to initialise at the bottom of a guest's stack.
 *
 * <p>It runs once, when the JVM's engine is built and before any context exists, on the thread that builds it:
 * nothing else runs GraalPy then, so no other thread can be half-way through a class the pass needs (two threads
 * each initialising a class the other's initialiser waits for would wait for ever). It costs about 40 MB of
 * metaspace, and about 1 s more before a JVM's first call (the boot that follows finds its classes ready):
 * {@code cordon run --no-daemon -c 'print(1)'} took 5.2 to 5.6 s against 3.9 to 4.5 s without it, the background
 * process's first command 8.0 s against 6.8 s. A process that runs one call pays it too: its call alone would
 * otherwise end in SystemError where a class broke under it, instead of the RecursionError or TIMEOUT it earns.
 */
final class EngineClasses {

    private static final Logger LOG = Logger.getLogger(EngineClasses.class.getName());

    /** One class of each jar, by the module that jar is: the jar itself is found from where the class came. */
    static final List<String[]> ANCHORS = List.of(
            new String[] {"org.graalvm.py", "com.oracle.graal.python.PythonLanguage"},
            new String[] {"org.graalvm.truffle", "com.oracle.truffle.api.nodes.Node"},
            new String[] {"com.oracle.truffle.regex", "com.oracle.truffle.regex.RegexLanguage"},
            new String[] {"org.graalvm.shadowed.icu4j", "org.graalvm.shadowed.com.ibm.icu.text.Normalizer2"},
            new String[] {"org.graalvm.shadowed.xz", "org.graalvm.shadowed.org.tukaani.xz.XZInputStream"},
            new String[] {"org.graalvm.shadowed.org.json", "org.graalvm.shadowed.org.json.JSONObject"});

    /** What one pass did: classes initialised, classes that failed to, jars not found, and the time it took. */
    record Result(int initialised, int failed, List<String> missing, long nanos) {
    }

    private EngineClasses() {
    }

    /** Runs the pass; logs a jar it could not find (the classes of which are then initialised on first use). */
    static void initialiseAhead() {
        Result result = initialiseAll();
        if (!result.missing().isEmpty()) {
            LOG.warning("found no jar for " + result.missing() + ": those classes are initialised on first use,"
                    + " where a guest's deep recursion can break them for this JVM");
        }
        LOG.fine(() -> "initialised " + result.initialised() + " classes of the interpreter (" + result.failed()
                + " could not be) in " + result.nanos() / 1_000_000 + " ms");
    }

    static Result initialiseAll() {
        long start = System.nanoTime();
        int initialised = 0;
        int failed = 0;
        List<String> missing = new java.util.ArrayList<>();
        for (String[] anchor : ANCHORS) {
            Class<?> known = find(anchor[0], anchor[1]);
            Path jar = known == null ? null : jarOf(known);
            if (jar == null) {
                missing.add(anchor[0]);
                continue;
            }
            int[] counts = initialiseJar(jar, known.getClassLoader());
            initialised += counts[0];
            failed += counts[1];
        }
        return new Result(initialised, failed, List.copyOf(missing), System.nanoTime() - start);
    }

    /** The anchor class, from its module's loader when the module is in the boot layer, else the polyglot API's. */
    private static Class<?> find(String module, String className) {
        ClassLoader loader = ModuleLayer.boot().findModule(module).map(Module::getClassLoader)
                .orElse(org.graalvm.polyglot.Engine.class.getClassLoader());
        try {
            return Class.forName(className, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private static Path jarOf(Class<?> c) {
        CodeSource source = c.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        try {
            Path path = Path.of(source.getLocation().toURI());
            return path.toString().endsWith(".jar") ? path : null;
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Initialises each class of {@code jar} through {@code loader}; {initialised, failed}. */
    private static int[] initialiseJar(Path jar, ClassLoader loader) {
        int[] counts = new int[2];
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry entry : Collections.list(zip.entries())) {
                String name = entry.getName();
                if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")
                        || name.endsWith("package-info.class")) {
                    continue;
                }
                try {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), true, loader);
                    counts[0]++;
                } catch (VirtualMachineError e) {
                    throw e;
                } catch (Throwable e) {
                    // A class this JVM cannot link (an optional dependency absent), or one whose initialiser
                    // fails wherever it runs (a debug counter's assertion, with assertions on): nothing a guest's
                    // depth decides.
                    counts[1]++;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not read " + jar + " to initialise its classes", e);
        }
        return counts;
    }
}
