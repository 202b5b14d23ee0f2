package dev.cordon.examples.zoobar;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Zoobar: users hold zoobars, give them to each other, and write their profile as Python that runs in
 * Cordon each time someone views it, as its owner (principal), with the owner's private {@code /tmp}
 * ({@code fs.tmp}) and the bank ({@code gateway:zoobar}), and the viewer's name as a parameter.
 *
 * <p>Pages: {@code GET /} (log in or register; once in, balance, transfer, profile editor), and
 * {@code GET /users/{name}} (a user's page; the profile's output is in the element whose id is
 * {@code profile}, escaped as text). The interface: {@code POST /register}, {@code POST /login},
 * {@code POST /logout}, {@code POST /transfer} (recipient, zoobars), {@code POST /profile} (code, or
 * sample: the name of a bundled profile), {@code GET /api/users/{name}} (JSON). Form posts answer
 * 303 to {@code /} when they succeed and 4xx with a page saying why when they do not.
 */
public final class ZoobarApp implements AutoCloseable {

    /** The profiles bundled with the example, which a user can load as a starting point. */
    public static final List<String> SAMPLES = List.of("hello-user", "visit-tracker", "last-visits", "xfer-tracker", "granter");
    static final String COOKIE = "zoobar_session";
    private static final int MAX_FORM_BYTES = 256 * 1024;

    private final ZoobarStore store;
    private final Cordon cordon;
    private final Limits profileLimits;
    private final HttpServer http;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

    /** What a profile showed its viewer. */
    public record ProfileView(String output, Status status, String error) {
    }

    private ZoobarApp(Path dataDir, String bind, int port, Limits profileLimits) throws IOException, SQLException {
        Files.createDirectories(dataDir);
        this.store = new ZoobarStore(dataDir.resolve("zoobar.db"));
        this.profileLimits = profileLimits;
        this.cordon = Cordon.builder().dataDir(dataDir.resolve("cordon")).service("zoobar", new ZoobarService(store))
                // The bundled profiles import these: each prepared context has them loaded before its view.
                .defaultLimits(profileLimits).preparedContexts(2).preloadModules("json", "os", "time").build();
        this.http = HttpServer.create(new InetSocketAddress(bind, port), 64);
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
    }

    /**
     * Opens (or creates) the data directory and listens.
     *
     * @param profileLimits the limits of one profile view
     */
    public static ZoobarApp start(Path dataDir, String bind, int port, Limits profileLimits)
            throws IOException, SQLException {
        ZoobarApp app = new ZoobarApp(dataDir, bind, port, profileLimits);
        app.http.start();
        return app;
    }

    public URI uri() {
        InetSocketAddress a = http.getAddress();
        return URI.create("http://" + (a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress())
                + ":" + a.getPort() + "/");
    }

    /** Runs {@code owner}'s profile as {@code visitor} sees it. */
    public ProfileView view(String owner, String visitor, String code) {
        if (code.isBlank()) {
            return new ProfileView("", Status.OK, null);
        }
        ExecutionResult r = cordon.run(Execution.builder().code(code, "profile.py").principal(owner)
                .grant("fs.tmp", "gateway:zoobar").param("ZOOBAR_SELF", owner).param("ZOOBAR_VISITOR", visitor)
                .limits(profileLimits).build());
        String error = switch (r.status()) {
            case OK -> null;
            case ERROR -> "The profile raised " + r.error().type() + (r.error().message().isEmpty() ? "" : ": " + r.error().message());
            case TIMEOUT -> "The profile ran too long and was stopped (" + r.error().message() + ").";
            case CPU_LIMIT -> "The profile used too much CPU and was stopped (" + r.error().message() + ").";
            case MEMORY_LIMIT -> "The profile used too much memory and was stopped (" + r.error().message() + ").";
            case OUTPUT_LIMIT -> "The profile printed too much; its output was cut (" + r.error().message() + ").";
            case REJECTED -> "The server is busy; try again in a moment.";
            case INTERNAL -> "The profile could not run.";
        };
        return new ProfileView(r.stdout(), r.status(), error);
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            Optional<String> me = store.sessionUser(cookie(ex));
            if (path.equals("/") && method.equals("GET")) {
                page(ex, 200, me.isPresent() ? home(me.get()) : Pages.welcome(null));
            } else if (path.equals("/register") && method.equals("POST")) {
                Map<String, String> f = form(ex);
                store.register(f.get("username"), f.get("password"));
                startSession(ex, store.login(f.get("username"), f.get("password")));
            } else if (path.equals("/login") && method.equals("POST")) {
                Map<String, String> f = form(ex);
                startSession(ex, store.login(f.get("username"), f.get("password")));
            } else if (path.equals("/logout") && method.equals("POST")) {
                String token = cookie(ex);
                if (token != null) {
                    store.logout(token);
                }
                ex.getResponseHeaders().add("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
                redirect(ex, "/");
            } else if (path.equals("/transfer") && method.equals("POST")) {
                String user = required(me);
                Map<String, String> f = form(ex);
                int amount;
                try {
                    amount = Integer.parseInt(f.getOrDefault("zoobars", "").trim());
                } catch (NumberFormatException e) {
                    throw new ZoobarStore.Refused("zoobars must be a whole number");
                }
                store.transfer(user, f.getOrDefault("recipient", ""), amount);
                redirect(ex, "/");
            } else if (path.equals("/profile") && method.equals("POST")) {
                String user = required(me);
                Map<String, String> f = form(ex);
                String code = f.containsKey("sample") ? sample(f.get("sample")) : f.get("code");
                if (code == null) {
                    throw new ZoobarStore.Refused("send the profile as the field code, or a sample's name as sample");
                }
                store.setProfile(user, code.replace("\r\n", "\n"));
                redirect(ex, "/");
            } else if (path.equals("/view") && method.equals("GET")) {
                String q = ex.getRequestURI().getRawQuery();
                String user = q == null ? "" : parseForm(q).getOrDefault("user", "");
                redirect(ex, "/users/" + encode(user));
            } else if (path.startsWith("/users/") && method.equals("GET")) {
                String visitor = required(me);
                String name = decode(path.substring("/users/".length()));
                Optional<ZoobarStore.User> u = store.user(name);
                if (u.isEmpty()) {
                    page(ex, 404, Pages.message("No such user", "There is no user " + name + "."));
                    return;
                }
                page(ex, 200, Pages.user(visitor, u.get(), view(name, visitor, u.get().profile())));
            } else if (path.startsWith("/api/users/") && method.equals("GET")) {
                String visitor = required(me);
                String name = decode(path.substring("/api/users/".length()));
                Optional<ZoobarStore.User> u = store.user(name);
                if (u.isEmpty()) {
                    json(ex, 404, error("no user " + name));
                    return;
                }
                ProfileView v = view(name, visitor, u.get().profile());
                ObjectNode o = Json.MAPPER.createObjectNode();
                o.put("username", u.get().username());
                // Read again: the profile may have moved zoobars (the granter does).
                o.put("zoobars", store.user(name).orElseThrow().zoobars());
                o.put("profile", v.output());
                o.put("profileStatus", v.status().name());
                o.put("profileError", v.error());
                json(ex, 200, o);
            } else {
                page(ex, 404, Pages.message("Not found", "There is nothing at " + path + "."));
            }
        } catch (NotLoggedIn e) {
            if (ex.getRequestURI().getRawPath().startsWith("/api/")) {
                json(ex, 401, error("log in first"));
            } else {
                page(ex, 401, Pages.welcome("Log in first."));
            }
        } catch (ZoobarStore.Refused e) {
            page(ex, 400, Pages.message("Refused", e.getMessage()));
        } catch (SQLException | RuntimeException e) {
            page(ex, 500, Pages.message("Server error", "Something went wrong on the server."));
        } finally {
            ex.close();
        }
    }

    private String home(String user) throws SQLException {
        ZoobarStore.User u = store.user(user).orElseThrow();
        return Pages.home(u, store.transfers(user));
    }

    private static final class NotLoggedIn extends Exception {
        NotLoggedIn() {
            super(null, null, false, false);
        }
    }

    private static String required(Optional<String> me) throws NotLoggedIn {
        return me.orElseThrow(NotLoggedIn::new);
    }

    private static String sample(String name) throws ZoobarStore.Refused {
        if (!SAMPLES.contains(name)) {
            throw new ZoobarStore.Refused("no sample profile " + name + "; there are " + String.join(", ", SAMPLES));
        }
        return sampleCode(name);
    }

    /** The code of a bundled profile. */
    public static String sampleCode(String name) {
        try (InputStream in = ZoobarApp.class.getResourceAsStream("profiles/" + name + ".py")) {
            if (in == null) {
                throw new IllegalArgumentException("no sample profile " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startSession(HttpExchange ex, String token) throws IOException {
        ex.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Lax");
        redirect(ex, "/");
    }

    private static String cookie(HttpExchange ex) {
        for (String header : ex.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(COOKIE + "=")) {
                    return p.substring(COOKIE.length() + 1);
                }
            }
        }
        return null;
    }

    private static Map<String, String> form(HttpExchange ex) throws IOException, ZoobarStore.Refused {
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_FORM_BYTES + 1);
            if (body.length > MAX_FORM_BYTES) {
                throw new ZoobarStore.Refused("the form is larger than " + MAX_FORM_BYTES / 1024 + " KB");
            }
            return parseForm(new String(body, StandardCharsets.UTF_8));
        }
    }

    static Map<String, String> parseForm(String body) throws ZoobarStore.Refused {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.put(key, value);
            } catch (IllegalArgumentException e) {
                throw new ZoobarStore.Refused("the form is not properly encoded");
            }
        }
        return out;
    }

    /** A user name as one path segment. */
    public static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String decode(String segment) throws ZoobarStore.Refused {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ZoobarStore.Refused("the user name in the address is not properly encoded");
        }
    }

    private static ObjectNode error(String message) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("error", message);
        return o;
    }

    private static void redirect(HttpExchange ex, String location) throws IOException {
        ex.getResponseHeaders().set("Location", location);
        ex.sendResponseHeaders(303, -1);
    }

    private static void page(HttpExchange ex, int status, String html) throws IOException {
        send(ex, status, "text/html; charset=utf-8", html);
    }

    private static void json(HttpExchange ex, int status, ObjectNode o) throws IOException {
        send(ex, status, "application/json; charset=utf-8", o.toString());
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() throws SQLException {
        http.stop(1);
        handlers.close();
        cordon.close();
        store.close();
    }
}
