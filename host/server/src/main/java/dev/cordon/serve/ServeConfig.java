package dev.cordon.serve;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.cordon.Backend;
import dev.cordon.Limits;
import dev.cordon.capabilities.Capability;
import dev.cordon.capabilities.Json;
import dev.cordon.Sizes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configuration of {@code cordon serve}, read from one JSON file and checked whole before anything
 * listens: every client's grants must name a declared mount or service, every limit must parse, every
 * backend must exist. Relative host paths are taken from the file's directory.
 *
 * <pre>{@code
 * {
 *   "bind": "127.0.0.1", "port": 8765,
 *   "dataDir": "var/serve",
 *   "maxRequestBytes": "1MB", "maxCodeBytes": "256KB", "requestTimeout": "10s",
 *   "maxConcurrentRuns": 2, "maxQueuedRuns": 8, "preparedContexts": 2, "preloadModules": ["json", "re"],
 *   "backends": ["graalpy"], "defaultBackend": "graalpy", "isolation": "process",
 *   "mounts": {"/data": "data"},
 *   "services": {"cache": "kv", "db": "jdbc:sqlite:app.db"}, "writable": [],
 *   "clients": {
 *     "reports": {"keySha256": "<hex SHA-256 of the key>", "principal": "alice",
 *                 "grants": ["fs.tmp", "gateway:cache"], "maxConcurrentRequests": 4,
 *                 "limits": {"wallTime": "5s", "cpuTime": "5s", "memory": "256MB", "output": "64KB"}}
 *   }
 * }
 * }</pre>
 *
 * @param bind              the address to listen on (default 127.0.0.1: a service open to the network is a choice)
 * @param port              the TCP port (0: any free one)
 * @param dataDir           where principals' /tmp lives
 * @param maxRequestBytes   the largest request body accepted
 * @param maxCodeBytes      the largest {@code code} accepted, in UTF-8 bytes
 * @param requestTimeout    how long a client may take to send a request's body (default 10 s); past it the
 *                          connection is closed, and the request never took a run slot
 * @param maxConcurrentRuns calls run at once
 * @param maxQueuedRuns     calls waiting; past that a request gets 429 at once
 * @param preparedContexts  contexts each backend keeps booted ahead of demand (default 2)
 * @param preloadModules    standard modules each context prepared ahead imports before its call (default none;
 *                          {@code Cordon.Builder.preloadModules})
 * @param backends          the backends requests may name
 * @param defaultBackend    the backend of requests that name none
 * @param isolation         where GraalPy runs guest code (default {@code process}: worker JVMs, since a network
 *                          service runs strangers' code; {@code in-process} is cheaper and holds limits softer)
 * @param mounts            read-only mounts, virtual path to host directory
 * @param services          gateway services, name to spec ({@code jdbc:URL}, {@code kv}, {@code kv:shared},
 *                          {@code http:PREFIX}), as {@code cordon run --service}
 * @param writable          SQL services that may write
 * @param clients           who may call, by client name
 * @param pypySandbox       the {@code pypy-c-sandbox} binary of the {@code pypy} backend, or null
 * @param mcp               what {@code cordon mcp} offers: whose principal, grants and limits its tools run
 *                          with, and its session tools (absent: the first client, no sessions)
 * @param state             where principals' /tmp and quota ledgers live when not under {@code dataDir}: a
 *                          PostgreSQL database every node of the service shares ({@code "state": {"postgres":
 *                          {"url", "user", "passwordEnv" or "passwordFile", "maxConnections"}}}); null for the
 *                          data directory
 */
public record ServeConfig(String bind, int port, Path dataDir, long maxRequestBytes, long maxCodeBytes,
                          java.time.Duration requestTimeout, int maxConcurrentRuns, int maxQueuedRuns, int preparedContexts,
                          List<String> preloadModules, List<String> backends,
                          String defaultBackend, dev.cordon.Isolation isolation,
                          Map<String, Path> mounts, Map<String, String> services, List<String> writable,
                          Map<String, Client> clients, Path pypySandbox, Mcp mcp, State state) {

    /** The backends this version has, by the name requests use. */
    static final Set<String> KNOWN_BACKENDS = Set.of("graalpy", "pypy");

    /** The backend a name in {@link #backends()} stands for. */
    Backend backend(String name) {
        return name.equals("pypy") ? Backend.pypySandbox(pypySandbox) : Backend.graalPy();
    }

    /**
     * One client: the principal its code runs as, the grants it may ask for, its largest limits, and how many
     * of its requests may be in the server at once (from the first byte of the body to the answer; past it
     * 429), so that one key cannot take every run slot (default: half of the runs and queue places, at least 1).
     *
     * @param keySha256 the SHA-256 of its API key, lowercase hex (the key itself is never stored); null for a client
     *                  without a key, which only {@code cordon mcp} can act as (serve refuses such a configuration)
     */
    public record Client(String name, String keySha256, String principal, Set<String> grants, Limits limits,
                         int maxConcurrentRequests) {
    }

    /**
     * Principals' state in PostgreSQL: the JDBC URL, the user, and the password read from where the configuration
     * said (an environment variable or a file: never the configuration itself), which {@link #toString()} hides.
     */
    public record State(String url, String user, String password, int maxConnections) {
        @Override
        public String toString() {
            return "State[url=" + url + ", user=" + user + ", maxConnections=" + maxConnections + "]";
        }
    }

    /**
     * What {@code cordon mcp} offers an agent over stdio, where there is no key to present: the client whose
     * principal, grants and limits its tools run with, and one tool per named session (a Python interpreter
     * whose variables persist from call to call).
     *
     * @param client   the name of one of {@link #clients()}
     * @param sessions session tools by name, each with the description the agent reads
     */
    public record Mcp(String client, Map<String, String> sessions) {
    }

    /**
     * A Cordon for one of the configured backends: its isolation, data directory, run slots, queue, prepared
     * contexts, mounts and services, and worker heaps that hold the largest memory limit any client may ask for.
     */
    public dev.cordon.Cordon newCordon(String backend) {
        dev.cordon.Cordon.Builder b = dev.cordon.Cordon.builder().backend(backend(backend))
                .isolation(isolation)
                .dataDir(dataDir)
                .maxConcurrentRuns(maxConcurrentRuns).maxQueuedRuns(maxQueuedRuns)
                .preparedContexts(preparedContexts).preloadModules(preloadModules);
        b.workerHeap(workerHeap());
        // With a state database, principals' /tmp and the kv services live in it, through one pool that lasts
        // as long as the server.
        javax.sql.DataSource database = state == null ? null : dev.cordon.capabilities.services.StateDatabase.pool(
                state.url(), state.user(), state.password(), state.maxConnections());
        if (database != null) {
            b.stateDatabase(database);
        }
        mounts.forEach((point, dir) -> b.mount(point, dir, dev.cordon.capabilities.Access.READ_ONLY));
        services.forEach((name, spec) -> b.service(name,
                dev.cordon.capabilities.services.ServiceSpecs.parse(name, spec, writable.contains(name), database)));
        return b.build();
    }

    /**
     * Each worker process's heap with worker isolation: the largest memory limit any client may ask for (at most
     * 8 GB) and 384 MB for GraalPy itself. A deployment's memory is {@code maxConcurrentRuns + 1} of these, each
     * with its JVM's own overhead, and the server's heap.
     */
    public long workerHeap() {
        long largest = clients.values().stream().mapToLong(c -> c.limits().memoryBytes()).max()
                .orElse(Limits.DEFAULT.memoryBytes());
        return Math.min(largest, 8L << 30) + (384L << 20);
    }

    /** This configuration listening on another address and port. */
    public ServeConfig listeningOn(String bind, int port) {
        return new ServeConfig(bind, port, dataDir, maxRequestBytes, maxCodeBytes, requestTimeout, maxConcurrentRuns,
                maxQueuedRuns,
                preparedContexts, preloadModules, backends, defaultBackend, isolation, mounts, services, writable, clients, pypySandbox, mcp,
                state);
    }

    /**
     * Reads and checks a configuration file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong in it
     */
    public static ServeConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the configuration " + file + ": " + e.getMessage(), e);
        }
        Path base = file.toAbsolutePath().getParent();
        try {
            return parse(text, base);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses a configuration; relative paths are taken from {@code base}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static ServeConfig parse(String json, Path base) {
        return parse(json, base, System.getenv());
    }

    /** As {@link #parse(String, Path)}, with the environment that {@code keyEnv} names are looked up in. */
    public static ServeConfig parse(String json, Path base, Map<String, String> env) {
        File f;
        try {
            f = READER.readValue(json);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException("at " + pathOf(e) + ": " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (f == null) {
            throw new IllegalArgumentException("the configuration is empty");
        }
        return f.check(base, env);
    }

    private static final ObjectReader READER = Json.MAPPER.readerFor(File.class)
            .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .with(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private static String pathOf(JsonMappingException e) {
        StringBuilder b = new StringBuilder("$");
        for (JsonMappingException.Reference r : e.getPath()) {
            b.append(r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]");
        }
        return b.toString();
    }

    /** The file as written, before checking. */
    private record File(String bind, Integer port, String dataDir, String maxRequestBytes, String maxCodeBytes,
                        String requestTimeout, Integer maxConcurrentRuns, Integer maxQueuedRuns, Integer preparedContexts,
                        List<String> preloadModules, List<String> backends,
                        String defaultBackend, String isolation, Map<String, String> mounts,
                        Map<String, String> services,
                        List<String> writable, Map<String, ClientFile> clients, String pypySandbox, McpFile mcp,
                        StateFile state) {

        private dev.cordon.Isolation chosenIsolation() {
            try {
                return isolation == null ? dev.cordon.Isolation.fromEnvironment(System.getenv(), dev.cordon.Isolation.PROCESS)
                        : dev.cordon.Isolation.parse(isolation);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("isolation: " + e.getMessage(), e);
            }
        }

        ServeConfig check(Path base, Map<String, String> env) {
            int p = port == null ? 8765 : port;
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("port " + p + " is not a TCP port");
            }
            List<String> bs = backends == null ? List.of("graalpy") : List.copyOf(backends);
            if (bs.isEmpty()) {
                throw new IllegalArgumentException("backends is empty: enable at least one of "
                        + new java.util.TreeSet<>(KNOWN_BACKENDS));
            }
            for (String b : bs) {
                if (!KNOWN_BACKENDS.contains(b)) {
                    throw new IllegalArgumentException("backend " + b + " is not one this version has "
                            + new java.util.TreeSet<>(KNOWN_BACKENDS));
                }
                if (b.equals("pypy") && (pypySandbox == null || pypySandbox.isBlank())) {
                    throw new IllegalArgumentException("backend pypy needs pypySandbox: the path of a pypy-c-sandbox binary");
                }
            }
            String def = defaultBackend == null ? bs.get(0) : defaultBackend;
            if (!bs.contains(def)) {
                throw new IllegalArgumentException("defaultBackend " + def + " is not among the backends " + bs);
            }
            Map<String, Path> ms = new LinkedHashMap<>();
            if (mounts != null) {
                mounts.forEach((point, dir) -> ms.put(point, base.resolve(dir)));
            }
            Map<String, String> ss = services == null ? Map.of() : new LinkedHashMap<>(services);
            List<String> ws = writable == null ? List.of() : List.copyOf(writable);
            for (String w : ws) {
                if (!ss.getOrDefault(w, "").startsWith("jdbc:")) {
                    throw new IllegalArgumentException("writable " + w + ": no SQL service of that name");
                }
            }
            if (clients == null || clients.isEmpty()) {
                throw new IllegalArgumentException("no clients: nobody could call this service");
            }
            int concurrent = maxConcurrentRuns == null ? Math.max(2, Runtime.getRuntime().availableProcessors())
                    : maxConcurrentRuns;
            int queued = maxQueuedRuns == null ? 4 * concurrent : maxQueuedRuns;
            Map<String, Client> cs = new LinkedHashMap<>();
            Set<String> hashes = new LinkedHashSet<>();
            int perClient = Math.max(1, (concurrent + Math.max(0, queued)) / 2);
            clients.forEach((name, c) -> {
                Client client = c.check(name, ms.keySet(), ss.keySet(), perClient, base, env);
                if (client.keySha256() != null && !hashes.add(client.keySha256())) {
                    throw new IllegalArgumentException("client " + name + " has the same key as another client");
                }
                cs.put(name, client);
            });
            int prepared = preparedContexts == null ? 2 : preparedContexts;
            if (concurrent < 1 || queued < 0 || prepared < 0) {
                throw new IllegalArgumentException("maxConcurrentRuns must be at least 1, maxQueuedRuns and "
                        + "preparedContexts at least 0");
            }
            List<String> preload = preloadModules == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(preloadModules));
            try {
                dev.cordon.Cordon.builder().preloadModules(preload);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("preloadModules: " + e.getMessage().replaceFirst("^preloadModules: ", ""), e);
            }
            return new ServeConfig(bind == null ? "127.0.0.1" : bind, p,
                    base.resolve(dataDir == null ? "var/serve" : dataDir),
                    size(maxRequestBytes, "1MB", "maxRequestBytes"), size(maxCodeBytes, "256KB", "maxCodeBytes"),
                    duration(requestTimeout, "10s", "requestTimeout"), concurrent, queued, prepared, preload, bs, def, chosenIsolation(), ms, ss, ws, cs,
                    pypySandbox == null ? null : base.resolve(pypySandbox),
                    mcp == null ? new Mcp(cs.keySet().iterator().next(), Map.of()) : mcp.check(cs.keySet()),
                    state == null ? null : state.check(base, env));
        }
    }

    /** The {@code "state"} section as written: one store, {@code postgres}. */
    private record StateFile(PostgresFile postgres) {
        State check(Path base, Map<String, String> env) {
            if (postgres == null) {
                throw new IllegalArgumentException("state: name the store, as {\"postgres\": {...}}");
            }
            return postgres.check(base, env);
        }
    }

    private record PostgresFile(String url, String user, String password, String passwordEnv, String passwordFile,
                                Integer maxConnections) {
        State check(Path base, Map<String, String> env) {
            String where = "state.postgres: ";
            if (url == null || !url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException(where + "url must be a jdbc:postgresql: URL");
            }
            if (password != null) {
                throw new IllegalArgumentException(where + "the password is never written in the configuration;"
                        + " give passwordEnv (an environment variable) or passwordFile (a file, such as a Secret)");
            }
            if (passwordEnv != null && passwordFile != null) {
                throw new IllegalArgumentException(where + "give one of passwordEnv and passwordFile, not both");
            }
            String secret = null;
            if (passwordEnv != null) {
                secret = env.get(passwordEnv);
                if (secret == null) {
                    throw new IllegalArgumentException(where + "passwordEnv " + passwordEnv
                            + ": no such environment variable");
                }
            } else if (passwordFile != null) {
                try {
                    secret = Files.readString(base.resolve(passwordFile), StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + "passwordFile " + passwordFile + " cannot be read: "
                            + e.getMessage(), e);
                }
            }
            int connections = maxConnections == null ? 16 : maxConnections;
            if (connections < 1) {
                throw new IllegalArgumentException(where + "maxConnections must be at least 1");
            }
            return new State(url, user, secret, connections);
        }
    }

    /** The {@code "mcp"} section as written. */
    private record McpFile(String client, Map<String, SessionFile> sessions) {

        Mcp check(Set<String> clientNames) {
            String c = client == null ? clientNames.iterator().next() : client;
            if (!clientNames.contains(c)) {
                throw new IllegalArgumentException("mcp: client " + c + " is not one of the clients " + clientNames);
            }
            Map<String, String> ss = new LinkedHashMap<>();
            if (sessions != null) {
                sessions.forEach((name, session) -> {
                    if (!name.matches("[a-z][a-z0-9_]{0,39}")) {
                        throw new IllegalArgumentException("mcp: session name " + name + " must be a lowercase "
                                + "letter followed by at most 39 lowercase letters, digits or underscores");
                    }
                    if (name.equals("run_python")) {
                        throw new IllegalArgumentException("mcp: run_python is the tool every configuration has; "
                                + "name the session otherwise");
                    }
                    ss.put(name, session == null || session.description() == null || session.description().isBlank()
                            ? "a Python interpreter whose variables, functions and imports persist from call to call"
                            : session.description());
                });
            }
            return new Mcp(c, Map.copyOf(ss));
        }
    }

    private record SessionFile(String description) {
    }

    /** A client's limits as the file writes them; each absent one is the default. */
    private record LimitsFile(String wallTime, String cpuTime, String memory, String output, String response,
                              Integer threads) {

        Limits over(Limits base) {
            Limits.Builder b = base.with(wallTime, cpuTime, memory, output).toBuilder();
            if (response != null) {
                b.parse("response", response);
            }
            if (threads != null) {
                b.threads(threads);
            }
            return b.build();
        }
    }

    private record ClientFile(String key, String keySha256, String keyEnv, String keyFile, String principal,
                              List<String> grants, LimitsFile limits, Integer maxConcurrentRequests) {

        /**
         * The key from where the configuration says: itself, an environment variable ({@code keyEnv}) or a file
         * ({@code keyFile}, such as a mounted Kubernetes Secret; its text without surrounding blanks), so that the
         * configuration need not hold it.
         */
        private String key(String where, Path base, Map<String, String> env) {
            long given = java.util.stream.Stream.of(key, keySha256, keyEnv, keyFile).filter(java.util.Objects::nonNull).count();
            if (given > 1) {
                throw new IllegalArgumentException(where + "give one of key, keySha256, keyEnv and keyFile, not several");
            }
            if (keyEnv != null) {
                String value = env.get(keyEnv);
                if (value == null || value.isBlank()) {
                    throw new IllegalArgumentException(where + "keyEnv " + keyEnv + ": no such environment variable");
                }
                return value.strip();
            }
            if (keyFile != null) {
                try {
                    return Files.readString(base.resolve(keyFile), StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + "keyFile " + keyFile + " cannot be read: " + e.getMessage(), e);
                }
            }
            return key;
        }

        Client check(String name, Set<String> mountPoints, Set<String> serviceNames, int defaultConcurrent, Path base,
                     Map<String, String> env) {
            String where = "client " + name + ": ";
            String key = key(where, base, env);
            String hash;
            if (key == null && keySha256 == null) {
                hash = null;   // usable by cordon mcp only, where whoever starts the process is the client
            } else if (key != null) {
                if (key.length() < 16) {
                    throw new IllegalArgumentException(where + "a key must be at least 16 characters long");
                }
                hash = sha256(key);
            } else {
                hash = keySha256.toLowerCase(java.util.Locale.ROOT);
                if (!hash.matches("[0-9a-f]{64}")) {
                    throw new IllegalArgumentException(where + "keySha256 must be 64 hexadecimal digits");
                }
            }
            if (principal == null || principal.isEmpty()) {
                throw new IllegalArgumentException(where + "principal is missing");
            }
            Set<String> gs = new LinkedHashSet<>();
            for (String g : grants == null ? List.<String>of() : grants) {
                Capability c;
                try {
                    c = Capability.parse(g);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + e.getMessage(), e);
                }
                if (c.kind() == Capability.Kind.READ_MOUNT && !mountPoints.contains(c.argument())) {
                    throw new IllegalArgumentException(where + "grant " + g + " names no declared mount");
                }
                if (c.kind() == Capability.Kind.GATEWAY && !serviceNames.contains(c.argument())) {
                    throw new IllegalArgumentException(where + "grant " + g + " names no declared service");
                }
                gs.add(g);
            }
            Limits l;
            try {
                l = limits == null ? Limits.DEFAULT : limits.over(Limits.DEFAULT);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
            int concurrent = maxConcurrentRequests == null ? defaultConcurrent : maxConcurrentRequests;
            if (concurrent < 1) {
                throw new IllegalArgumentException(where + "maxConcurrentRequests must be at least 1");
            }
            return new Client(name, hash, principal, Set.copyOf(gs), l, concurrent);
        }
    }

    private static java.time.Duration duration(String text, String dflt, String what) {
        try {
            return dev.cordon.Durations.parse(text == null ? dflt : text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    private static long size(String text, String dflt, String what) {
        try {
            return Sizes.parse(text == null ? dflt : text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    /** The lowercase hex SHA-256 of a key's UTF-8 bytes: how keys are stored and compared. */
    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
