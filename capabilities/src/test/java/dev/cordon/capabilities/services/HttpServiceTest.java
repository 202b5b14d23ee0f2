package dev.cordon.capabilities.services;

import com.sun.net.httpserver.HttpServer;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The HTTP service against a real server on loopback. */
class HttpServiceTest {

    static HttpServer server;
    static String base;
    static final java.util.concurrent.CountDownLatch HELD = new java.util.concurrent.CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/", exchange -> {
            String path = exchange.getRequestURI().toString();
            byte[] body;
            if (path.startsWith("/api/big")) {
                body = new byte[100_000];
            } else if (path.startsWith("/api/slow")) {
                // An upstream that answers only when the test is over: the service's own timeout must end the call.
                try {
                    HELD.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                body = "late".getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/api/redirect")) {
                exchange.getResponseHeaders().add("Location", "/secret");
                exchange.sendResponseHeaders(302, -1);
                exchange.close();
                return;
            } else {
                body = ("you asked for " + path).getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/secret", exchange -> {
            byte[] body = "secret".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/api/";
    }

    @AfterAll
    static void stop() {
        HELD.countDown();
        server.stop(0);
    }

    private static Object get(HttpService http, String path) throws Exception {
        return http.call(new CallContext(Principal.of("alice"), "e", "web"), "get", List.of(path));
    }

    @Test
    void fetchesPathsUnderThePrefix() throws Exception {
        HttpService http = HttpService.under(base).build();
        assertThat(get(http, "items?id=3")).isEqualTo(Map.of("status", 200, "content_type", "text/plain",
                "body", "you asked for /api/items?id=3"));
    }

    @Test
    void pathsThatLeaveThePrefixAreRefused() {
        HttpService http = HttpService.under(base).build();
        for (String path : List.of("../secret", "a/../../secret", "%2e%2e/secret", "a/%2e%2e/%2e%2e/secret",
                "/secret", "//evil.example/x", "http://evil.example/", "file:///etc/passwd", "a%2f..%2f..%2fsecret",
                "a\\..\\..\\secret", "x#frag", "a b")) {
            assertThatThrownBy(() -> get(http, path)).as(path).isInstanceOf(GatewayException.class)
                    .satisfies(e -> assertThat(((GatewayException) e).kind()).isEqualTo(GatewayException.Kind.INVALID));
        }
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        HttpService http = HttpService.under(base).build();
        assertThat(((Map<?, ?>) get(http, "redirect")).get("status")).isEqualTo(302);
    }

    @Test
    void bodiesAndWaitsAreBounded() {
        HttpService small = HttpService.under(base).maxBytes(1_000).build();
        assertThatThrownBy(() -> get(small, "big")).hasMessageContaining("larger than 1000 bytes");
        HttpService impatient = HttpService.under(base).timeout(Duration.ofMillis(300)).build();
        long start = System.nanoTime();
        assertThatThrownBy(() -> get(impatient, "slow"))
                .satisfies(e -> assertThat(((GatewayException) e).kind()).isEqualTo(GatewayException.Kind.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void anUnreachableServiceDoesNotNameItsAddress() {
        HttpService http = HttpService.under("http://127.0.0.1:1/hidden/").timeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(() -> get(http, "x")).hasMessage("the service is unavailable");
    }

    @Test
    void prefixesMustBePlainHttpUrls() {
        for (String bad : List.of("ftp://x/", "http:///nohost", "http://user:pw@host/", "http://h/?q=1", "nonsense")) {
            assertThatThrownBy(() -> HttpService.under(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
