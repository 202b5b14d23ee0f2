package dev.cordon.cli;

import dev.cordon.Backend;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.Isolation;
import dev.cordon.Limits;
import dev.cordon.capabilities.services.ServiceSpecs;
import dev.cordon.capabilities.Access;
import dev.cordon.capabilities.Quota;
import dev.cordon.Sizes;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The options {@code run} and {@code repl} share: who runs, with what, within which limits. */
final class SandboxOptions {

    @Option(names = "--principal", paramLabel = "NAME", description = "Whose authority the code runs with (default: anonymous).")
    String principal = "anonymous";

    @Option(names = "--grant", paramLabel = "CAP", description = "Grant a capability: fs.tmp, fs.read:/MOUNT, gateway:SERVICE. Repeatable.")
    List<String> grants = new ArrayList<>();

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A parameter the code reads as cordon.params[KEY]. Repeatable.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--mount", paramLabel = "VPATH=HOSTDIR", description = "Mount a host directory read-only at VPATH; grant it with --grant fs.read:VPATH. Repeatable.")
    Map<String, Path> mounts = new LinkedHashMap<>();

    @Option(names = "--service", paramLabel = "NAME=SPEC", description = {
            "Register a host service, reached with --grant gateway:NAME. Repeatable. SPEC is one of:",
            "  jdbc:URL          a SQL database (read-only unless --writable NAME), e.g. jdbc:sqlite:app.db",
            "  kv | kv:shared    a key-value store, per principal or shared",
            "  http:PREFIX       HTTP GET of paths under PREFIX, e.g. http:http://127.0.0.1:8080/api/"})
    Map<String, String> services = new LinkedHashMap<>();

    @Option(names = "--writable", paramLabel = "NAME", description = "Let the SQL service NAME write. Repeatable.")
    List<String> writable = new ArrayList<>();

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where principals' persistent state lives (default: var/cordon).")
    Path dataDir;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Wall-time limit, such as 500ms, 2s, 1m (default: 10s).")
    String timeout;

    @Option(names = "--cpu-time", paramLabel = "DURATION", description = "CPU-time limit (default: the wall-time limit).")
    String cpuTime;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory the code may keep alive, such as 256MB, 1GB (default: 1GB).")
    String memory;

    @Option(names = "--max-output", paramLabel = "SIZE", description = "Bytes the code may write to stdout, and again to stderr, such as 64KB (default: 1MB).")
    String maxOutput;

    @Option(names = "--threads", paramLabel = "N", description = "Guest threads that may run at once beside the program's own (default: 0, none).")
    Integer threads;

    @Option(names = "--tmp-quota", paramLabel = "SIZE", description = "Bytes each principal may keep in /tmp (default: 64MB).")
    String tmpQuota;

    @Option(names = "--tmp-entries", paramLabel = "N", description = "Files, directories and links each principal may keep in /tmp (default: 10000).")
    Long tmpEntries;

    @Option(names = "--backend", paramLabel = "NAME", description = "graalpy (in this JVM) or pypy (an external "
            + "pypy-c-sandbox process). Default: $CORDON_BACKEND, else graalpy.")
    String backend;

    @Option(names = "--pypy-sandbox", paramLabel = "PATH", description = "The pypy-c-sandbox binary of the pypy "
            + "backend (default: $CORDON_PYPY_SANDBOX); implies --backend pypy.")
    String pypySandbox;

    @Option(names = "--isolation", paramLabel = "MODE", description = "in-process (GraalPy in this JVM) or process"
            + " (GraalPy in worker JVMs, each with a heap of its own). Default: $CORDON_ISOLATION, else in-process.")
    String isolation;

    @Option(names = "--no-daemon", description = "Run in this process rather than in your background process that"
            + " keeps a warm engine (also: CORDON_NO_DAEMON=1; see cordon daemon).")
    boolean noDaemon;

    /**
     * Reads the paths the user typed (mounts, the data directory, an SQLite file, the PyPy binary) against the
     * command's working directory, where the process that runs it has another one.
     */
    void resolveAgainst(Terminal terminal) {
        if (terminal.workingDirectory() == null) {
            return;
        }
        mounts.replaceAll((point, dir) -> terminal.path(dir));
        dataDir = terminal.path(dataDir != null ? dataDir : Path.of("var", "cordon"));
        services.replaceAll((name, spec) -> {
            String sqlite = "jdbc:sqlite:";
            String file = spec.startsWith(sqlite) ? spec.substring(sqlite.length()) : null;
            return file == null || file.isEmpty() || file.startsWith(":") || file.startsWith("file:")
                    ? spec : sqlite + terminal.path(file);
        });
        if (pypySandbox != null && pypySandbox.contains("/")) {
            pypySandbox = terminal.path(pypySandbox).toString();
        }
    }

    /** What the {@link Cordon} of these options is made of: two commands with the same key can share one. */
    String cordonKey() {
        return String.join("\n", String.valueOf(backend), String.valueOf(pypySandbox), String.valueOf(isolation),
                String.valueOf(dataDir), mounts.toString(), services.toString(), writable.toString(),
                String.valueOf(tmpQuota), String.valueOf(tmpEntries), String.valueOf(timeout), String.valueOf(cpuTime),
                String.valueOf(memory), String.valueOf(maxOutput), String.valueOf(threads));
    }

    /** The isolation the flag chooses, else the environment's, else in-process. */
    Isolation isolation() {
        return isolation != null ? Isolation.parse(isolation)
                : Isolation.fromEnvironment(System.getenv(), Isolation.IN_PROCESS);
    }

    /** The backend the flags choose, else the environment's, else GraalPy. */
    Backend backend() {
        java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
        if (pypySandbox != null) {
            env.put(Backend.PYPY_VARIABLE, pypySandbox);
        }
        if (backend != null || pypySandbox != null) {
            env.put(Backend.BACKEND_VARIABLE, backend != null ? backend : "pypy");
        }
        return Backend.fromEnvironment(env);
    }

    Limits limits() {
        Limits limits = Limits.parse(timeout, cpuTime, memory, maxOutput);
        return threads == null ? limits : limits.toBuilder().threads(threads).build();
    }

    Cordon cordon() {
        return cordon(0);
    }

    /**
     * Standard modules a background process's prepared contexts import, comma-separated; empty for none, unset
     * for {@link #DEFAULT_PRELOAD}.
     */
    static final String PRELOAD_VARIABLE = "CORDON_PRELOAD";
    /** What a background process preloads unless told otherwise: the everyday imports that cost the most. */
    static final List<String> DEFAULT_PRELOAD = List.of("json", "re", "datetime", "collections");

    /**
     * @param preparedContexts contexts kept booted ahead of the next command (a background process's), which
     *                         import the modules {@value #PRELOAD_VARIABLE} names while the process is idle
     */
    Cordon cordon(int preparedContexts) {
        Cordon.Builder b = Cordon.builder().backend(backend()).isolation(isolation()).preparedContexts(preparedContexts);
        String preload = System.getenv(PRELOAD_VARIABLE);
        if (preparedContexts > 0) {
            try {
                b.preloadModules(preload == null ? DEFAULT_PRELOAD : java.util.Arrays.stream(preload.split(","))
                        .map(String::strip).filter(m -> !m.isEmpty()).toList());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PRELOAD_VARIABLE + ": " + e.getMessage(), e);
            }
        }
        if (dataDir != null) {
            b.dataDir(dataDir);
        }
        mounts.forEach((point, dir) -> b.mount(point, dir, Access.READ_ONLY));
        for (String name : writable) {
            if (!services.getOrDefault(name, "").startsWith("jdbc:")) {
                throw new IllegalArgumentException("--writable " + name + ": no SQL service of that name");
            }
        }
        services.forEach((name, spec) -> b.service(name, ServiceSpecs.parse(spec, writable.contains(name))));
        if (tmpQuota != null || tmpEntries != null) {
            b.tmpQuota(new Quota(tmpQuota != null ? Sizes.parse(tmpQuota) : Quota.DEFAULT.maxBytes(),
                    tmpEntries != null ? tmpEntries : Quota.DEFAULT.maxEntries()));
        }
        return b.defaultLimits(limits()).build();
    }

    /** An execution builder with the principal, grants and parameters set. */
    Execution.Builder execution() {
        Execution.Builder b = Execution.builder().principal(principal);
        grants.forEach(b::grant);
        params.forEach(b::param);
        return b;
    }
}
