package dev.cordon.cli;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code cordon bench zoobar}: the Zoobar example as its users see it. A newly started {@code cordon example
 * zoobar} in a JVM of its own (this JVM's java and settings); one owner per bundled profile, and one whose profile
 * is {@code pass}, the baseline; a visitor who views their pages over loopback HTTP, each page in turn, for the
 * warm-up and then {@code rounds} times, one page at a time with a pause between (a warm server between
 * requests, its prepared contexts refilled). Each page's HTTP round trip is timed: the view's whole work (the
 * profile run in a fresh sandbox, its gateway calls and files, the page).
 */
final class ZoobarBench {

    static final String MAIN = "dev.cordon.examples.zoobar.Zoobar";
    /** The class whose {@code SAMPLES} name the bundled profiles; the example is not a dependency of the CLI. */
    static final String APP = "dev.cordon.examples.zoobar.ZoobarApp";
    /** The target of issue 29: each profile renders in under this at the median on a warm server. */
    static final double TARGET_MILLIS = 50;
    private static final Duration PAUSE = Duration.ofMillis(150);

    private final int rounds;
    private final Duration warmup;
    private final Consumer<BenchCommand.Row> rows;

    ZoobarBench(int rounds, Duration warmup, Consumer<BenchCommand.Row> rows) {
        this.rounds = rounds;
        this.warmup = warmup;
        this.rows = rows;
    }

    void run() throws Exception {
        List<String> profiles = new ArrayList<>();
        try {
            Class.forName(MAIN, false, ZoobarBench.class.getClassLoader());
            for (Object name : (List<?>) Class.forName(APP).getField("SAMPLES").get(null)) {
                profiles.add((String) name);
            }
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("bench zoobar needs the examples built (./mvnw install)");
        }
        Path dir = Files.createTempDirectory("cordon-bench-zoobar");
        Process app = null;
        try {
            app = ServiceBench.start(dir, MAIN, "--port", "0", "--data-dir", dir.resolve("data").toString());
            URI uri = ServiceBench.listening(app, "zoobar: open");
            Map<String, String> owners = new LinkedHashMap<>();
            for (String profile : profiles) {
                owners.put(profile, "owner-" + profile);
                new User(uri, "owner-" + profile).post("/profile", "sample", profile);
            }
            owners.put("pass", "owner-pass");
            new User(uri, "owner-pass").post("/profile", "code", "pass");
            User visitor = new User(uri, "visitor");

            // A new server's first views may pass their profile's limit (2 s): counted, not fatal.
            int warmFailed = 0;
            int warmViews = 0;
            long warmUntil = System.nanoTime() + warmup.toNanos();
            do {
                for (String owner : owners.values()) {
                    warmViews++;
                    warmFailed += visitor.view(owner) == null ? 0 : 1;
                }
            } while (System.nanoTime() < warmUntil);
            int failed = 0;
            Map<String, List<Long>> times = new LinkedHashMap<>();
            owners.keySet().forEach(k -> times.put(k, new ArrayList<>()));
            for (int i = 0; i < rounds; i++) {
                for (Map.Entry<String, String> owner : owners.entrySet()) {
                    Thread.sleep(PAUSE);
                    long start = System.nanoTime();
                    String error = visitor.view(owner.getValue());
                    times.get(owner.getKey()).add(System.nanoTime() - start);
                    if (error != null) {
                        failed++;
                        System.err.println("zoobar: the page of " + owner.getValue() + " showed: " + error);
                    }
                }
            }
            rows.accept(new BenchCommand.Row("zoobar: views whose profile failed (its limits: 2 s...), of the first "
                    + warmViews + " on the new server", warmFailed, "", null, null, null, null));
            rows.accept(new BenchCommand.Row("zoobar: views whose profile failed, of the " + rounds * owners.size()
                    + " timed", failed, "", null, null, "0", failed == 0));
            double baseline = CliBench.median(times.get("pass"));
            rows.accept(new BenchCommand.Row("zoobar: a user's page whose profile is `pass`, warm server, median",
                    baseline, "ms", null, null, null, null));
            for (String profile : profiles) {
                double median = CliBench.median(times.get(profile));
                rows.accept(new BenchCommand.Row("zoobar: a user's page with the `" + profile + "` profile, median",
                        median, "ms", "profile `pass`", baseline, "< " + (int) TARGET_MILLIS + " ms",
                        median < TARGET_MILLIS));
                rows.accept(new BenchCommand.Row("  p90 of those", CliBench.percentile(times.get(profile), 0.9), "ms",
                        "profile `pass`", CliBench.percentile(times.get("pass"), 0.9), null, null));
            }
        } finally {
            ServiceBench.stop(app, dir);
        }
    }

    /** A registered user of the app, logged in: a client of their own, with their session's cookie. */
    private static final class User {
        private final URI uri;
        private final HttpClient http;

        User(URI uri, String name) throws IOException, InterruptedException {
            this.uri = uri;
            this.http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
            post("/register", "username", name, "password", "bench-" + name);
        }

        void post(String path, String... fields) throws IOException, InterruptedException {
            StringBuilder form = new StringBuilder();
            for (int i = 0; i < fields.length; i += 2) {
                form.append(form.isEmpty() ? "" : "&").append(fields[i]).append('=')
                        .append(URLEncoder.encode(fields[i + 1], StandardCharsets.UTF_8));
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.resolve(path))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 303) {
                throw new IllegalStateException("zoobar answered " + path + " with " + r.statusCode() + ": " + r.body());
            }
        }

        /**
         * The page of {@code owner}: null when it shows the profile's output and no error of it, else the error it
         * shows; a page that is not one is the bench's failure.
         */
        String view(String owner) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.resolve("/users/" + owner)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || !r.body().contains("id=\"profile\"")) {
                throw new IllegalStateException("the page of " + owner + " failed (" + r.statusCode() + "): " + r.body());
            }
            int at = r.body().indexOf("id=\"profile-error\">");
            return at < 0 ? null : r.body().substring(at + 20, r.body().indexOf("</div>", at));
        }
    }
}
