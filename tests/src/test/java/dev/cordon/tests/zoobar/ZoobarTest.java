package dev.cordon.tests.zoobar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cordon.Limits;
import dev.cordon.capabilities.Json;
import dev.cordon.examples.zoobar.ZoobarApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Zoobar end to end over HTTP on loopback: the real server, SQLite file and GraalPy. */
class ZoobarTest {

    @TempDir
    static Path data;
    static ZoobarApp app;

    @BeforeAll
    static void start() throws Exception {
        // In worker processes a profile's wall time also covers the wait for a worker and, when the call comes
        // before the worker's next context is booted, that boot: on a loaded two-core machine a profile that
        // opens one file has been seen past 3 s there.
        boolean workers = "process".equals(System.getenv("CORDON_ISOLATION"));
        app = ZoobarApp.start(data, "127.0.0.1", 0, Limits.builder().wallTime(Duration.ofSeconds(workers ? 8 : 3))
                .memoryBytes(128L << 20).outputBytes(4096).build());
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    /** A browser-like client with its own cookie jar. */
    static final class Visitor {
        final String name;
        final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();

        Visitor(String name) {
            this.name = name;
        }

        static Visitor registered(String name) throws Exception {
            Visitor v = new Visitor(name);
            assertThat(v.post("/register", "username", name, "password", "pw of " + name).statusCode()).isEqualTo(303);
            return v;
        }

        HttpResponse<String> post(String path, String... fields) throws IOException, InterruptedException {
            Map<String, String> f = new LinkedHashMap<>();
            for (int i = 0; i < fields.length; i += 2) {
                f.put(fields[i], fields[i + 1]);
            }
            String body = f.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                    + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
            return http.send(HttpRequest.newBuilder(app.uri().resolve(path))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create(app.uri() + path.substring(1))).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        int transfer(String recipient, String zoobars) throws Exception {
            return post("/transfer", "recipient", recipient, "zoobars", zoobars).statusCode();
        }

        void profile(String code) throws Exception {
            assertThat(post("/profile", "code", code).statusCode()).isEqualTo(303);
        }

        void sample(String name) throws Exception {
            assertThat(post("/profile", "sample", name).statusCode()).isEqualTo(303);
        }

        JsonNode api(String user) throws Exception {
            HttpResponse<String> r = get("/api/users/" + ZoobarApp.encode(user));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return Json.MAPPER.readTree(r.body());
        }

        /** The profile's output on the HTML page, unescaped, and the error box's text or null. */
        String[] page(String user) throws Exception {
            HttpResponse<String> r = get("/users/" + ZoobarApp.encode(user));
            assertThat(r.statusCode()).isEqualTo(200);
            Matcher m = Pattern.compile("<div id=\"profile\">(.*?)</div>", Pattern.DOTALL).matcher(r.body());
            assertThat(m.find()).isTrue();
            Matcher e = Pattern.compile("<div class=\"error\" id=\"profile-error\">(.*?)</div>", Pattern.DOTALL).matcher(r.body());
            return new String[] {unescape(m.group(1)), e.find() ? unescape(e.group(1)) : null};
        }

        int zoobars() throws Exception {
            return api(name).path("zoobars").asInt();
        }
    }

    static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    }

    @Test
    void usersRegisterLogInAndOutWithHashedPasswords() throws Exception {
        Visitor ann = Visitor.registered("ann");
        assertThat(ann.zoobars()).isEqualTo(10);
        assertThat(ann.get("/").body()).contains("Logged in as <strong id=\"me\">ann</strong>");
        assertThat(Visitor.registered("ann2").post("/register", "username", "ann", "password", "x").statusCode()).isEqualTo(400);
        assertThat(ann.post("/logout").statusCode()).isEqualTo(303);
        assertThat(ann.get("/api/users/ann").statusCode()).isEqualTo(401);
        assertThat(ann.get("/users/ann").statusCode()).isEqualTo(401);
        assertThat(ann.post("/login", "username", "ann", "password", "wrong").statusCode()).isEqualTo(400);
        assertThat(ann.get("/api/users/ann").statusCode()).isEqualTo(401);
        assertThat(ann.post("/login", "username", "ann", "password", "pw of ann").statusCode()).isEqualTo(303);
        assertThat(ann.zoobars()).isEqualTo(10);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("zoobar.db"));
             ResultSet r = c.createStatement().executeQuery("SELECT salt, pwhash FROM users WHERE username = 'ann'")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(2)).hasSize(64).doesNotContain("pw of ann");
            assertThat(r.getString(1)).hasSize(32);
        }
    }

    @Test
    void usernamesMayHoldAnyCharacters() throws Exception {
        String odd = "<b>ünï</b> & ../'\"/ +x";
        Visitor v = Visitor.registered(odd);
        assertThat(v.api(odd).path("username").asText()).isEqualTo(odd);
        v.sample("hello-user");
        String html = v.get("/users/" + ZoobarApp.encode(odd)).body();
        assertThat(html).doesNotContain("<b>ünï</b>").contains("&lt;b&gt;ünï&lt;/b&gt;");
        assertThat(v.page(odd)[0]).startsWith("Hello, " + odd + "!");
    }

    @Test
    void transfersMoveZoobarsAndRefuseWhatTheyCannotDo() throws Exception {
        Visitor tom = Visitor.registered("tom");
        Visitor tim = Visitor.registered("tim");
        assertThat(tom.transfer("tim", "3")).isEqualTo(303);
        assertThat(tom.zoobars()).isEqualTo(7);
        assertThat(tim.zoobars()).isEqualTo(13);
        assertThat(tom.transfer("tim", "8")).isEqualTo(400);
        assertThat(tom.transfer("tim", "-2")).isEqualTo(400);
        assertThat(tom.transfer("tim", "two")).isEqualTo(400);
        assertThat(tom.transfer("nobody", "1")).isEqualTo(400);
        assertThat(new Visitor("anonymous").transfer("tim", "1")).isEqualTo(401);
        assertThat(tom.zoobars()).isEqualTo(7);
        assertThat(tim.zoobars()).isEqualTo(13);
    }

    @Test
    void helloUserGreetsTheVisitorAndTellsTheTime() throws Exception {
        Visitor owner = Visitor.registered("hello-owner");
        owner.sample("hello-user");
        Visitor bob = Visitor.registered("hello-bob");
        String[] page = bob.page("hello-owner");
        assertThat(page[1]).isNull();
        assertThat(page[0]).matches("(?s)Hello, hello-bob!\nThe time is \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\.\n");
        assertThat(bob.api("hello-owner").path("profile").asText()).startsWith("Hello, hello-bob!");
    }

    @Test
    void visitTrackerCountsEachVisitorsVisitsInTheOwnersTmp() throws Exception {
        Visitor owner = Visitor.registered("vt-owner");
        owner.sample("visit-tracker");
        Visitor bob = Visitor.registered("vt-bob");
        Visitor carol = Visitor.registered("vt-carol");
        assertThat(bob.page("vt-owner")[0]).isEqualTo("Welcome, vt-bob: this is your first visit.\n");
        assertThat(bob.page("vt-owner")[0]).matches("Welcome back, vt-bob: this is visit number 2; your last visit "
                + "was \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\.\n");
        assertThat(carol.api("vt-owner").path("profile").asText()).isEqualTo("Welcome, vt-carol: this is your first visit.\n");
        assertThat(bob.page("vt-owner")[0]).startsWith("Welcome back, vt-bob: this is visit number 3;");
        // The state is the owner's: the same code on another owner's page starts from nothing.
        Visitor other = Visitor.registered("vt-other");
        other.sample("visit-tracker");
        assertThat(bob.page("vt-other")[0]).isEqualTo("Welcome, vt-bob: this is your first visit.\n");
    }

    @Test
    void lastVisitsShowsTheLastThreeVisitors() throws Exception {
        Visitor owner = Visitor.registered("lv-owner");
        owner.sample("last-visits");
        for (String name : new String[] {"lv-a", "lv-b", "lv-c"}) {
            Visitor.registered(name).page("lv-owner");
        }
        String out = Visitor.registered("lv-d").page("lv-owner")[0];
        assertThat(out).matches("(?s)Last visitors:\n  lv-d at [-0-9]+ [:0-9]+ UTC\n  lv-c at .*\n  lv-b at .*\n");
        assertThat(out).doesNotContain("lv-a");
    }

    @Test
    void xferTrackerShowsTheLastTransferBetweenOwnerAndVisitor() throws Exception {
        Visitor owner = Visitor.registered("xt-owner");
        owner.sample("xfer-tracker");
        Visitor bob = Visitor.registered("xt-bob");
        assertThat(bob.page("xt-owner")[0]).isEqualTo("xt-owner and xt-bob have never traded zoobars.\n");
        assertThat(owner.transfer("xt-bob", "2")).isEqualTo(303);
        assertThat(bob.transfer("xt-owner", "1")).isEqualTo(303);
        Visitor.registered("xt-carol").transfer("xt-owner", "4");
        assertThat(bob.page("xt-owner")[0]).matches("The last transfer between xt-owner and xt-bob: xt-bob gave "
                + "xt-owner 1 zoobar on \\d{4}-\\d\\d-\\d\\d at \\d\\d:\\d\\d:\\d\\d UTC\\.\n");
    }

    @Test
    void granterGivesOneZoobarAMinuteWithinItsRules() throws Exception {
        Visitor owner = Visitor.registered("gr-owner");
        owner.sample("granter");
        Visitor bob = Visitor.registered("gr-bob");
        assertThat(bob.page("gr-owner")[0]).isEqualTo("gr-owner gave you a zoobar, gr-bob!\n");
        assertThat(bob.zoobars()).isEqualTo(11);
        assertThat(owner.zoobars()).isEqualTo(9);
        assertThat(bob.page("gr-owner")[0]).startsWith("Sorry, gr-bob: one zoobar a minute;");
        assertThat(bob.zoobars()).isEqualTo(11);
        Visitor rich = Visitor.registered("gr-rich");
        Visitor donor = Visitor.registered("gr-donor");
        donor.transfer("gr-rich", "10");
        Visitor.registered("gr-donor2").transfer("gr-rich", "1");
        assertThat(rich.zoobars()).isEqualTo(21);
        assertThat(rich.page("gr-owner")[0]).isEqualTo("Sorry, gr-rich: you have more than 20 zoobars already.\n");
        assertThat(rich.zoobars()).isEqualTo(21);
        owner.transfer("gr-donor", "9");
        assertThat(owner.zoobars()).isZero();
        Visitor carol = Visitor.registered("gr-carol");
        assertThat(carol.page("gr-owner")[0]).isEqualTo("Sorry, gr-carol: gr-owner has no zoobars left to give.\n");
        assertThat(carol.zoobars()).isEqualTo(10);
    }

    @Test
    void hostileProfilesShowAnErrorBoxAndHarmNobody() throws Exception {
        Visitor victim = Visitor.registered("hx-victim");
        victim.sample("visit-tracker");
        Visitor viewer = Visitor.registered("hx-viewer");
        viewer.page("hx-victim");
        Visitor mallory = Visitor.registered("hx-mallory");
        Map<String, String> hostile = new LinkedHashMap<>();
        hostile.put("while True:\n    pass", "ran too long");
        hostile.put("l = []\nwhile True:\n    l.append(bytearray(10**6))", "too much memory");
        hostile.put("while True:\n    print('spam' * 100)", "printed too much");
        hostile.put("raise SystemExit(3)", "SystemExit");
        hostile.put("print(open('/tmp/../hx-victim/tmp/visit-tracker.json').read())", "FileNotFoundError");
        hostile.put("import os\nprint(os.listdir('/tmp/..'))", null);
        hostile.put("from cordon import gateway\ngateway.connect('zoobar').call('xfer', 'hx-viewer', 'hx-mallory', 5)",
                "ValueError");
        hostile.put("import os\nos.system('rm -rf /')", "PermissionError");
        for (Map.Entry<String, String> h : hostile.entrySet()) {
            mallory.profile(h.getKey());
            String[] page = viewer.page("hx-mallory");
            if (h.getValue() == null) {
                assertThat(page[1]).isNull();
                assertThat(page[0]).doesNotContain("hx-victim");
            } else {
                assertThat(page[1]).as(h.getKey()).contains(h.getValue());
            }
            assertThat(page[0].length()).isLessThanOrEqualTo(4096);
        }
        assertThat(viewer.zoobars()).isEqualTo(10);
        assertThat(viewer.page("hx-victim")[0]).startsWith("Welcome back, hx-viewer: this is visit number 2;");
        assertThat(viewer.page("hx-victim")[1]).isNull();
    }
}
