package dev.cordon.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cordon.Cordon;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Json;
import dev.cordon.json.ResultJson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * {@code cordon serve}: runs Python that clients submit over HTTP, each client with the principal, grants
 * and largest limits its API key maps to in the {@link ServeConfig}.
 * <ul>
 *   <li>{@code POST /v1/run} with {@code Authorization: Bearer <key>}: a {@link RunRequest}; answers 200
 *       with the result in the form of {@code cordon run --json}, whatever the code did;</li>
 *   <li>{@code GET /v1/health}: whether the service is up (alive), and how busy;</li>
 *   <li>{@code GET /v1/ready}: whether it takes runs now: 200, or 503 while its worker processes are not up or
 *       once it is draining;</li>
 *   <li>{@code GET /v1/openapi.json}: the OpenAPI 3.1 document of all of this;</li>
 *   <li>{@code GET /metrics}: Prometheus text: requests by outcome, runs by client and status, run times.</li>
 * </ul>
 * Refusals are JSON {@code {"error": {"code": ..., "message": ...}}}: 400 malformed, 401 no or unknown
 * key, 403 beyond the key's authority, 404, 405, 413 too large, 429 overloaded (with Retry-After). A
 * refused request runs nothing. Overload is answered at once: a request finding every run slot and
 * queue place taken gets 429 instead of waiting. {@link #drain} (the CLI calls it on SIGTERM) stops taking runs
 * (503 {@code draining}, and ready is false) and waits for those in flight to end within their limits.
 */
public final class CodeServer implements AutoCloseable {

    private final ServeConfig config;
    private final Map<String, Cordon> cordons = new LinkedHashMap<>();
    private final HttpServer http;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore inFlight;
    /** Each client's requests in the server now, from its body's first byte to its answer. */
    private final Map<String, Semaphore> perClient = new java.util.concurrent.ConcurrentHashMap<>();
    /** Closes the connection of a request whose body is not in within the configured time. */
    private final java.util.concurrent.ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("cordon-serve-timer").unstarted(r));
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final int runPlaces;
    private volatile boolean draining;

    private CodeServer(ServeConfig config) throws IOException {
        this.config = config;
        config.clients().values().stream().filter(c -> c.keySha256() == null).findFirst().ifPresent(c -> {
            throw new IllegalArgumentException("client " + c.name() + " has no key: over HTTP every client needs "
                    + "a key or keySha256 (a client without one is for cordon mcp)");
        });
        for (String name : config.backends()) {
            cordons.put(name, config.newCordon(name));
        }
        // Run slots and queue places; a request takes one only once its body is in and parses.
        this.runPlaces = config.maxConcurrentRuns() + config.maxQueuedRuns();
        this.inFlight = new Semaphore(runPlaces);
        config.clients().values().forEach(c -> {
            Semaphore open = new Semaphore(c.maxConcurrentRequests());
            perClient.put(c.name(), open);
            // The client's requests in the server now, from their headers to their answer (bodies still arriving
            // included): what its maxConcurrentRequests bounds.
            io.micrometer.core.instrument.Gauge.builder("cordon.client.requests", open,
                            o -> c.maxConcurrentRequests() - o.availablePermits())
                    .tag("client", c.name()).register(metrics);
        });
        metrics.gauge("cordon.guest.threads", cordons, cs -> cs.values().stream()
                .mapToInt(Cordon::activeGuestThreads).sum());
        metrics.gauge("cordon.guest.threads.abandoned", cordons, cs -> cs.values().stream()
                .mapToInt(Cordon::abandonedGuestThreads).sum());
        this.http = HttpServer.create(new InetSocketAddress(config.bind(), config.port()), 64);
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
    }

    /**
     * Builds the backends and listens. Returns when the server accepts requests.
     *
     * @throws IOException if the address cannot be bound
     */
    public static CodeServer start(ServeConfig config) throws IOException {
        CodeServer s = new CodeServer(config);
        // Listening only once the worker processes are up: a request that came earlier would spend its wall
        // time waiting for a JVM to boot.
        try {
            for (Cordon c : s.cordons.values()) {
                if (!c.awaitStarted(WORKERS_START)) {
                    LOG.warning("the worker processes did not all start within " + WORKERS_START.toSeconds()
                            + " s; serving with those that did");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.cordons.values().forEach(Cordon::close);
            throw new IOException("interrupted while the worker processes started", e);
        }
        s.http.start();
        return s;
    }

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("dev.cordon.serve");

    /** How long {@link #start} waits for the worker processes before it listens anyway. */
    private static final java.time.Duration WORKERS_START = java.time.Duration.ofMinutes(5);

    /** Where the server listens, with the port it got. */
    public URI uri() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String endpoint = switch (path) {
            case "/v1/run", "/v1/health", "/v1/ready", "/v1/openapi.json", "/metrics" -> path;
            default -> "other";
        };
        int status;
        try {
            status = switch (path) {
                case "/v1/run" -> run(ex);
                case "/v1/health" -> health(ex);
                case "/v1/ready" -> ready(ex);
                case "/metrics" -> metrics(ex);
                case "/v1/openapi.json" -> openapi(ex);
                default -> throw new ApiError(404, "not_found", "no such endpoint: " + path
                        + " (there are POST /v1/run, GET /v1/health, GET /v1/ready, GET /v1/openapi.json and GET /metrics)");
            };
        } catch (ApiError e) {
            status = e.status;
            refuse(ex, e);
        } catch (RuntimeException e) {
            status = 500;
            refuse(ex, new ApiError(500, "internal", "the server failed: " + e.getClass().getSimpleName()));
        } finally {
            ex.close();
        }
        Counter.builder("cordon.http.requests").tag("endpoint", endpoint).tag("code", String.valueOf(status))
                .register(metrics).increment();
    }

    /**
     * One run: the client's own bound first, then the body, read whole within its size and time bounds, then
     * a run slot, held only while the call runs: a slow or oversized body never takes one, and the slot is
     * free before the answer is sent.
     */
    private int run(HttpExchange ex) throws IOException {
        requireMethod(ex, "POST");
        ServeConfig.Client client = authenticate(ex);
        Semaphore mine = perClient.get(client.name());
        if (!mine.tryAcquire()) {
            throw new ApiError(429, "too_many_requests", "this key has " + client.maxConcurrentRequests()
                    + " requests in the server already; send the next when one is answered");
        }
        try {
            byte[] body = readBody(ex);
            RunRequest request = RunRequest.parse(body, client, config);
            if (draining) {
                ex.getResponseHeaders().set("Connection", "close");
                throw new ApiError(503, "draining", "this server is shutting down and takes no new runs; send the"
                        + " request again (to another node behind the same address)");
            }
            if (!inFlight.tryAcquire()) {
                throw overloaded("every run slot and queue place is taken");
            }
            ExecutionResult result;
            try {
                Timer.Sample sample = Timer.start(metrics);
                result = cordons.get(request.backend()).run(request.execution(client));
                sample.stop(Timer.builder("cordon.run").tag("backend", request.backend()).register(metrics));
            } finally {
                inFlight.release();
            }
            Counter.builder("cordon.runs").tag("client", client.name()).tag("status", result.status().name())
                    .register(metrics).increment();
            if (result.status() == Status.REJECTED) {
                throw overloaded(result.error().message());
            }
            send(ex, 200, "application/json; charset=utf-8", ResultJson.toJson(result));
            return 200;
        } finally {
            mine.release();
        }
    }

    private int health(HttpExchange ex) throws IOException {
        requireMethod(ex, "GET");
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", "ok");
        o.put("draining", draining);
        o.set("backends", Json.MAPPER.valueToTree(config.backends()));
        o.put("isolation", config.isolation().text());
        o.put("workersReady", cordons.values().stream().mapToInt(Cordon::preparedContextsReady).sum());
        o.put("runsInFlight", config.maxConcurrentRuns() + config.maxQueuedRuns() - inFlight.availablePermits());
        o.put("guestThreads", cordons.values().stream().mapToInt(Cordon::activeGuestThreads).sum());
        o.put("abandonedGuestThreads", cordons.values().stream().mapToInt(Cordon::abandonedGuestThreads).sum());
        send(ex, 200, "application/json; charset=utf-8", o.toString());
        return 200;
    }

    /**
     * {@code GET /v1/ready}: 200 when a run sent now would be taken: not draining, with worker isolation at
     * least one worker up, and with a state database that database reachable; else 503 with the reason. A load balancer's health check: a node that is not ready gets
     * no traffic, one that is alive but not ready is not restarted for it.
     */
    private int ready(HttpExchange ex) throws IOException {
        requireMethod(ex, "GET");
        int workers = cordons.values().stream().mapToInt(Cordon::preparedContextsReady).sum();
        String why = draining ? "draining: the server is shutting down"
                : config.isolation() == dev.cordon.Isolation.PROCESS && workers == 0 ? "no worker process is up yet"
                : config.state() != null && !cordons.values().stream().allMatch(Cordon::stateReachable)
                ? "the state database cannot be reached"
                : null;
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("ready", why == null);
        if (why != null) {
            o.put("reason", why);
        }
        o.put("runPlacesFree", inFlight.availablePermits());
        o.put("workersReady", workers);
        int status = why == null ? 200 : 503;
        send(ex, status, "application/json; charset=utf-8", o.toString());
        return status;
    }

    /**
     * Stops taking runs (they are answered 503 {@code draining}, and {@code /v1/ready} says so) and waits until
     * the runs in flight have their answers or {@code patience} passed; the server keeps listening meanwhile.
     *
     * @return whether every run in flight ended in time
     */
    public boolean drain(java.time.Duration patience) throws InterruptedException {
        draining = true;
        // Holding every place proves the runs are over; no new run takes one while draining.
        if (!inFlight.tryAcquire(runPlaces, patience.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            return false;
        }
        inFlight.release(runPlaces);
        return true;
    }

    /** How long a drain may wait: the longest run any client may ask for, and a margin for its answer. */
    public java.time.Duration drainPatience() {
        return config.clients().values().stream().map(c -> c.limits().wallTime())
                .max(java.util.Comparator.naturalOrder()).orElse(java.time.Duration.ZERO)
                .plusSeconds(5);
    }

    /** {@code GET /v1/openapi.json}: the OpenAPI 3.1 document of every route, body, status and error code. */
    private int openapi(HttpExchange ex) throws IOException {
        requireMethod(ex, "GET");
        send(ex, 200, "application/json; charset=utf-8", OPENAPI);
        return 200;
    }

    /** The service's OpenAPI document, a resource beside this class. */
    public static final String OPENAPI = openapiDocument();

    private static String openapiDocument() {
        try (InputStream in = CodeServer.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("the build lost dev/cordon/serve/openapi.json");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private int metrics(HttpExchange ex) throws IOException {
        requireMethod(ex, "GET");
        send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
        return 200;
    }

    private static void requireMethod(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw new ApiError(405, "method_not_allowed", ex.getRequestURI().getPath() + " takes " + method
                    + ", not " + ex.getRequestMethod());
        }
    }

    /** The client whose key the request bears; keys are compared by their hashes in constant time. */
    private ServeConfig.Client authenticate(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7) || h.length() == 7) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "unauthorized", "send an API key as Authorization: Bearer <key>");
        }
        String hash = ServeConfig.sha256(h.substring(7).trim());
        ServeConfig.Client found = null;
        for (ServeConfig.Client c : config.clients().values()) {
            if (MessageDigest.isEqual(c.keySha256().getBytes(StandardCharsets.US_ASCII),
                    hash.getBytes(StandardCharsets.US_ASCII))) {
                found = c;
            }
        }
        if (found == null) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw new ApiError(401, "unauthorized", "this API key is not known here");
        }
        return found;
    }

    private byte[] readBody(HttpExchange ex) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type != null && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "unsupported_media_type", "the body must be application/json, not " + type);
        }
        long max = config.maxRequestBytes();
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("Content-Length is not a number: " + declared);
            }
            if (length > max) {
                // Answered before a byte of the body is read; the connection closes after the answer.
                ex.getResponseHeaders().set("Connection", "close");
                throw tooLarge(max);
            }
        }
        java.util.concurrent.atomic.AtomicBoolean late = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> cut = timer.schedule(() -> {
            late.set(true);
            ex.close();
        }, config.requestTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (body.length > max) {
                ex.getResponseHeaders().set("Connection", "close");
                throw tooLarge(max);
            }
            return body;
        } catch (IOException e) {
            if (late.get()) {
                throw new ApiError(408, "request_timeout", "the body did not arrive within "
                        + dev.cordon.Durations.format(config.requestTimeout()));
            }
            throw e;
        } finally {
            cut.cancel(false);
        }
    }

    private static ApiError tooLarge(long max) {
        return new ApiError(413, "too_large", "the body is larger than this server's limit of " + max + " bytes");
    }

    private static ApiError overloaded(String why) {
        return new ApiError(429, "overloaded", "the server is busy (" + why + "); try again shortly");
    }

    private static void refuse(HttpExchange ex, ApiError e) throws IOException {
        if (e.status == 429) {
            ex.getResponseHeaders().set("Retry-After", "1");
        }
        ObjectNode o = Json.MAPPER.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("code", e.code);
        err.put("message", e.getMessage());
        send(ex, e.status, "application/json; charset=utf-8", o.toString());
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops listening, waits a moment for requests in progress, and closes the backends. */
    @Override
    public void close() {
        http.stop(1);
        timer.shutdownNow();
        handlers.close();
        cordons.values().forEach(Cordon::close);
        metrics.close();
    }
}
