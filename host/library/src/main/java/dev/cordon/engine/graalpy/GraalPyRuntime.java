package dev.cordon.engine.graalpy;

import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.vfs.DeviceTree;
import dev.cordon.capabilities.vfs.MemoryTree;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.guest.GuestStdlib;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The shared part of the GraalPy backend: one polyglot {@link Engine} (so parsed and compiled code is
 * shared between calls), the language home and the guest stdlib as read-only trees, and the recipe for a
 * sandboxed {@link Context}. Thread-safe; one per {@code Cordon}.
 *
 * <p>Every context is denied everything by default: no host class lookup, no host access beyond
 * {@link HostAccess.Export}ed members of Cordon's own objects, no polyglot access, no native access, no
 * threads, no processes, no environment, no sockets, and a filesystem that is the virtual tree alone. The
 * language home appears at {@link #HOME} so that no host path ({@code sys.prefix}, {@code __file__},
 * {@code sys.path}) reaches the guest; GraalPy accepts a relocated home only below the CONSTRAINED sandbox
 * policy, so the context is built under TRUSTED with each permission denied explicitly, and a test checks
 * each of the denials CONSTRAINED would have enforced.
 */
final class GraalPyRuntime implements AutoCloseable {

    /** Where the guest sees GraalPy's language home (its standard library). */
    public static final String HOME = "/usr/lib/graalpy";
    /** Where the guest sees the guest stdlib (the {@code cordon} package). */
    public static final String GUEST_LIB = "/usr/lib/cordon";

    private static final Logger LOG = Logger.getLogger("dev.cordon.graalpy");

    /**
     * The boot's modules, loaded from cached host sources rather than imported. GraalPy shares code between the
     * contexts of an engine only for the sources the host evaluates: an import compiles a module anew in each
     * context, and the JIT then compiles each context's copy of its hot functions (the guard's checks, the
     * boot's {@code install}) long after that context has closed. Shared, they are compiled once.
     */
    static final List<String> SHARED_MODULES = List.of("cordon", "cordon._world", "cordon._describe", "cordon.gateway",
            "_cordon_graalpy", "_cordon_graalpy.after_import", "_cordon_graalpy.guarded_text", "_cordon_graalpy.guard",
            "_cordon_graalpy.boot");

    /**
     * The standard-library modules the guard imports at boot, shared the same way from the language home's
     * files: GraalPy would unmarshal its frozen copy of each in every context, and the JIT compiled the code of
     * each such copy anew (docs/performance-log.md). Loaded before {@link #SHARED_MODULES}.
     */
    static final List<String> SHARED_STDLIB = List.of("operator");

    /** The shared modules that are packages, loaded from their {@code __init__.py}. */
    private static final List<String> SHARED_PACKAGES = List.of("cordon", "_cordon_graalpy");

    /**
     * What the host puts before each shared module's first line: the prelude's hook, which keeps the module's
     * code object and stops it there ({@code _cordon_graalpy/prelude.py}).
     */
    private static final String HAND_OVER = "__cordon_code__(__name__); ";

    private final Engine engine;
    private final HostTree languageHome;
    private final MemoryTree guestStdlib;
    /** The read-only libraries alone, as the guest sees them: where a library module's text is read. */
    private final VirtualFileSystem libraries;
    private final DeviceTree devices = new DeviceTree();
    private final String coreHome;
    private final String stdlibHome;
    private final Source boot;
    private final List<Source> sharedSources;
    private final GuardFacts guardFacts;
    private final GuardedCode guardedCode;
    private final ProgramSources programSources = new ProgramSources(4L << 20);
    /** Made with the world of the first context that asks; a compile needs none of it. */
    private volatile SharedModules sharedModules;
    /** Contexts this runtime has opened, its own compiler context's among them. */
    private final java.util.concurrent.atomic.AtomicLong contextsOpened = new java.util.concurrent.atomic.AtomicLong();
    /**
     * The contexts a runtime opens before a module is compiled for sharing: a process that runs one program (a
     * {@code cordon run}, with the context prepared beside it) gains nothing from the shared forms, and booting
     * the compiler context would only take the CPU from its call.
     */
    static final int CONTEXTS_BEFORE_SHARING = 3;

    private static GraalPyRuntime shared;
    private static int users;

    /**
     * The runtime of this JVM, started on first use: one engine serves every {@link dev.cordon.Cordon},
     * so parsed code and compiled code are shared and a second Cordon starts in milliseconds. Each
     * {@code acquire} must be matched by one {@link #close}; the engine stops when the last user closes.
     */
    static synchronized GraalPyRuntime acquire() {
        if (shared == null) {
            shared = new GraalPyRuntime();
        }
        users++;
        return shared;
    }

    private GraalPyRuntime() {
        Engine.Builder builder = Engine.newBuilder("python")
                .option("engine.WarnInterpreterOnly", "false")
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream());
        Map<String, String> diagnostic = diagnosticOptions(System.getenv("CORDON_ENGINE_OPTIONS"));
        if (!diagnostic.isEmpty()) {
            builder.allowExperimentalOptions(true).options(diagnostic);
        }
        if (!diagnostic.containsKey("log.file")) {
            builder.logHandler(new QuietLogHandler());
        }
        this.engine = builder.build();
        // Before any context: no class of the interpreter is left for a guest's recursion to meet first at the
        // bottom of its stack, where an overflow would break that class for the JVM (EngineClasses).
        EngineClasses.initialiseAhead();
        GraalPyEngine.reportJit(jitCompiled());
        Map<String, byte[]> files = GuestStdlib.files();
        Layout layout = discoverLayout(engine, text(files, "_cordon_graalpy/layout.py"));
        this.languageHome = new HostTree(Path.of(layout.home));
        this.coreHome = HOME + "/" + layout.core;
        this.stdlibHome = HOME + "/" + layout.stdlib;
        this.guestStdlib = new MemoryTree(files, Instant.now());
        this.libraries = libraryMounts().build();
        this.boot = Source.newBuilder("python", text(files, "_cordon_graalpy/start.py"), "<cordon-boot>")
                .cached(true).buildLiteral();
        this.sharedSources = sharedSources(files, Path.of(layout.home).resolve(layout.stdlib), stdlibHome);
        this.guardFacts = GuardFacts.of(engine, text(files, "_cordon_graalpy/guard.py"));
        this.guardedCode = new GuardedCode(64L << 20);
    }

    /**
     * The prelude, then one cached source per shared module (the standard library's first), each with the hook
     * on its first line and named by the path the guest sees (the prelude names each module by its path).
     */
    /** Whether this engine compiles guest code, from the polyglot runtime's own name for itself. */
    boolean jitCompiled() {
        return !"Interpreted".equals(engine.getImplementationName());
    }

    private static List<Source> sharedSources(Map<String, byte[]> files, Path stdlib, String guestStdlib) {
        List<Source> sources = new ArrayList<>();
        sources.add(Source.newBuilder("python", text(files, "_cordon_graalpy/prelude.py"), "<cordon-prelude>")
                .cached(true).buildLiteral());
        for (String module : SHARED_STDLIB) {
            String path = modulePath(module);
            try {
                sources.add(shared(Files.readString(stdlib.resolve(path)), guestStdlib + "/" + path));
            } catch (IOException e) {
                throw new UncheckedIOException("GraalPy's standard library has no " + path, e);
            }
        }
        for (String module : SHARED_MODULES) {
            String path = modulePath(module);
            sources.add(shared(text(files, path), GUEST_LIB + "/" + path));
        }
        return List.copyOf(sources);
    }

    /** The file of a module below its library: a package's is its {@code __init__.py}. */
    private static String modulePath(String module) {
        return SHARED_PACKAGES.contains(module)
                ? module + "/__init__.py"
                : module.replace('.', '/') + ".py";
    }

    private static Source shared(String text, String guestPath) {
        return Source.newBuilder("python", HAND_OVER + text, guestPath).cached(true).buildLiteral();
    }

    private static String text(Map<String, byte[]> files, String path) {
        byte[] bytes = files.get(path);
        if (bytes == null) {
            throw new IllegalStateException("the guest stdlib has no " + path);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** What the guard itself says about the programs it rewrites ({@link GuardedCode}). */
    GuardFacts guardFacts() {
        return guardFacts;
    }

    /** The prelude, then each shared module's source: evaluated in this order before {@link #bootSource()}. */
    List<Source> sharedSources() {
        return sharedSources;
    }

    private record Layout(String home, String core, String stdlib) {
    }

    /**
     * Engine options for measuring the engine itself, from {@code CORDON_ENGINE_OPTIONS}
     * ({@code engine.TraceCompilation=true,log.file=/tmp/compilations.log}): set by whoever runs the host,
     * never by a guest. Experimental options are allowed then; a malformed entry stops the start.
     */
    static Map<String, String> diagnosticOptions(String spec) {
        Map<String, String> options = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return options;
        }
        for (String entry : spec.split(",")) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("CORDON_ENGINE_OPTIONS: expected NAME=VALUE, got '" + entry + "'");
            }
            options.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        return options;
    }

    /**
     * Asks GraalPy once, in a context with no filesystem at all, where its home was extracted and how it
     * is laid out; the guests then see that directory at {@link #HOME}.
     */
    private static Layout discoverLayout(Engine engine, String question) {
        try (Context probe = Context.newBuilder("python").engine(engine)
                .out(OutputStream.nullOutputStream()).err(OutputStream.nullOutputStream())
                .allowIO(IOAccess.NONE).build()) {
            Value answer = probe.eval(Source.newBuilder("python", question, "<cordon-layout>").buildLiteral());
            String home = answer.getArrayElement(0).asString();
            String core = answer.getArrayElement(1).asString();
            String stdlib = answer.getArrayElement(2).asString();
            Path h = Path.of(home);
            return new Layout(home, h.relativize(Path.of(core)).toString(), h.relativize(Path.of(stdlib)).toString());
        }
    }

    /** Starts a filesystem for one call with the two read-only trees every guest has. */
    VirtualFileSystem.Builder baseFileSystem() {
        return libraryMounts().mount("/dev", devices);
    }

    private VirtualFileSystem.Builder libraryMounts() {
        return VirtualFileSystem.builder().mount(HOME, languageHome).mount(GUEST_LIB, guestStdlib);
    }

    /** Builds a context denied everything but the given filesystem, bridge and streams. */
    Context newContext(GuestFileSystem fileSystem, GuestBridge bridge, InputStream in, OutputStream out,
                       OutputStream err) {
        contextsOpened.incrementAndGet();
        Context context = Context.newBuilder("python")
                .engine(engine)
                .sandbox(SandboxPolicy.TRUSTED)
                .allowHostAccess(HostAccess.EXPLICIT)
                .allowHostClassLookup(name -> false)
                .allowHostClassLoading(false)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .allowNativeAccess(false)
                // Guest threads start only through the boot's _thread, within the call's Limits.threads.
                .allowCreateThread(true)
                .allowCreateProcess(false)
                .allowInnerContextOptions(false)
                .allowValueSharing(false)
                .allowEnvironmentAccess(EnvironmentAccess.NONE)
                .allowIO(IOAccess.newBuilder()
                        .allowHostSocketAccess(false)
                        .fileSystem(fileSystem)
                        .build())
                .useSystemExit(false)
                .in(in).out(out).err(err)
                .timeZone(ZoneOffset.UTC)
                .option("python.PythonHome", HOME)
                .option("python.CoreHome", coreHome)
                .option("python.StdLibHome", stdlibHome)
                .option("python.DontWriteBytecodeFlag", "true")
                .option("python.NoUserSiteFlag", "true")
                .option("python.IgnoreEnvironmentFlag", "true")
                .option("python.WarnExperimentalFeatures", "false")
                .build();
        context.getBindings("python").putMember("__cordon_bridge__", bridge);
        return context;
    }

    /**
     * The boot source, run in each fresh context before the guest's code; its value is the boot's handles
     * ({@code _cordon_graalpy/boot.py}, {@code Handles}): the function that describes a guest exception, the
     * one that flushes the files the guest left open, the one that starts a call (its limits and parameters)
     * and the three that compile and run guarded code.
     */
    Source bootSource() {
        return boot;
    }

    /** The guarded form of the programs run so far, shared by every context of this runtime. */
    GuardedCode guardedCode() {
        return guardedCode;
    }

    /**
     * The shared guarded form of a guest's module ({@link SharedModules#form}), or null; {@code world} is the
     * asking context's, which the compiler context takes if it is the first; {@code timeLeft}, the most the
     * asking call may spend on the compile.
     */
    String sharedModule(String world, String filename, String text, Duration timeLeft) {
        SharedModules s = sharedModules;
        if (s == null && contextsOpened.get() < CONTEXTS_BEFORE_SHARING) {
            return null;
        }
        if (text == null) {
            text = libraryText(filename);
            if (text == null) {
                return null;
            }
        }
        if (s == null) {
            synchronized (this) {
                s = sharedModules;
                if (s == null) {
                    s = new SharedModules(guardedCode, () -> GraalPySandbox.prepare(this, world), Duration.ofSeconds(20));
                    sharedModules = s;
                }
            }
        }
        return s.form(filename, text, timeLeft);
    }

    /** Where the guest sees the standard library ({@code /usr/lib/graalpy/lib/python3.12}). */
    String stdlibHome() {
        return stdlibHome;
    }

    /**
     * The text of a module file of the read-only libraries (the language home, the guest stdlib) at
     * {@code guestPath}, read from the trees the guest sees them in: a guest asks for a library module's shared
     * form by its file alone. Null for a path not written as it resolves (no {@code .}, {@code ..} or empty
     * part), outside the libraries, a file that is not there, past {@link SharedModules#MAX_CHARS} or not UTF-8.
     */
    String libraryText(String guestPath) {
        if (guestPath == null || !guestPath.endsWith(".py")) {
            return null;
        }
        try {
            VirtualPath path = VirtualPath.of(guestPath);
            if (!path.toString().equals(guestPath)) {
                return null;
            }
            byte[] bytes;
            try (InputStream in = java.nio.channels.Channels.newInputStream(
                    libraries.open(path, java.util.Set.of(java.nio.file.StandardOpenOption.READ)))) {
                bytes = in.readNBytes(SharedModules.MAX_CHARS + 1);
            }
            if (bytes.length > SharedModules.MAX_CHARS) {
                return null;
            }
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return null;   // CharacterCodingException among them: not UTF-8
        }
    }

    /** The sources of the programs that run as written, shared by every context of this runtime. */
    ProgramSources programSources() {
        return programSources;
    }

    @Override
    public void close() {
        synchronized (GraalPyRuntime.class) {
            if (this != shared || --users > 0) {
                return;
            }
            shared = null;
        }
        SharedModules s = sharedModules;
        if (s != null) {
            s.close();
        }
        engine.close(true);
    }

    /**
     * The engine's log goes to {@code java.util.logging} at FINE: guest code can provoke SEVERE records
     * (a failed {@code __graalpython__.load_file}), and it must not be able to write to the host's stderr.
     */
    private static final class QuietLogHandler extends Handler {
        @Override
        public void publish(LogRecord record) {
            if (LOG.isLoggable(Level.FINE)) {
                LOG.log(Level.FINE, "[" + record.getLoggerName() + "] " + record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
