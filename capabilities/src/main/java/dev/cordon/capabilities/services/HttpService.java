package dev.cordon.capabilities.services;

import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.gateway.Service;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * URL fetching under one configured prefix, as the hosting platform's urlfetch was. The guest names a
 * path relative to the prefix, {@code get("forecast?city=Paris")}, and never sees the prefix itself: the
 * address stays on the host. A path that would leave the prefix ({@code ..}, an absolute URL, {@code //host})
 * is refused, redirects are not followed (the guest gets the 3xx), and the body is cut off at a size limit
 * with an error rather than silently.
 *
 * <p>Operations: {@code get(path)} returns {@code {"status": int, "content_type": str, "body": str}}
 * (the body decoded as UTF-8, with replacement).
 */
public final class HttpService implements Service {

    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cordon-http-body");
        t.setDaemon(true);
        return t;
    });

    private final URI prefix;
    private final HttpClient client;
    private final long maxBytes;
    private final Duration timeout;

    private HttpService(Builder b) {
        this.prefix = b.prefix;
        this.maxBytes = b.maxBytes;
        this.timeout = b.timeout;
        this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(b.timeout).build();
    }

    /**
     * @param prefix an absolute http or https URL; the guest reaches only what lies under it
     */
    public static Builder under(String prefix) {
        return new Builder(prefix);
    }

    @Override
    public String describe() {
        return "HTTP fetch";
    }

    @Override
    public Object call(CallContext context, String operation, List<Object> arguments) throws IOException,
            InterruptedException {
        if (!operation.equals("get")) {
            throw GatewayException.notFound("no operation " + operation + " (get)");
        }
        URI target = resolve(new Arguments("get", arguments, 1, 1).string(0));
        // The service's own timeout, or the call's time left if that is shorter.
        Duration timeout = context.within(this.timeout);
        HttpRequest request = HttpRequest.newBuilder(target).timeout(timeout).GET().build();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<InputStream> response;
        try {
            response = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                    .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw GatewayException.timeout("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpTimeoutException) {
                throw GatewayException.timeout("no answer within " + timeout.toMillis() + " ms");
            }
            // The cause could name the address: it stays on the host.
            throw GatewayException.failed("the service is unavailable");
        }
        // The body too must arrive before the deadline: a server that drips it is cut off.
        InputStream in = response.body();
        CompletableFuture<byte[]> reading = CompletableFuture.supplyAsync(() -> {
            try {
                return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, READERS);
        byte[] body;
        try {
            body = reading.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw GatewayException.timeout("no complete answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw GatewayException.failed("the service is unavailable");
        } finally {
            in.close();
        }
        if (body.length > maxBytes) {
            throw GatewayException.failed("the response is larger than " + maxBytes + " bytes");
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("status", response.statusCode());
        result.put("content_type", response.headers().firstValue("content-type").orElse(""));
        result.put("body", new String(body, StandardCharsets.UTF_8));
        return result;
    }

    /** The URL a guest path names, if it lies under the prefix. */
    URI resolve(String path) {
        if (path.startsWith("/") || path.contains("\\") || path.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            throw GatewayException.invalid("give a path relative to the service, such as \"items?id=3\"");
        }
        URI relative;
        try {
            relative = new URI(path);
        } catch (URISyntaxException e) {
            throw GatewayException.invalid("not a valid relative URL");
        }
        if (relative.isAbsolute() || relative.getRawAuthority() != null || relative.getRawFragment() != null) {
            throw GatewayException.invalid("give a path relative to the service, such as \"items?id=3\"");
        }
        String rawPath = relative.getRawPath() == null ? "" : relative.getRawPath();
        for (String segment : rawPath.split("/", -1)) {
            String decoded = java.net.URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
            if (decoded.equals("..") || decoded.equals(".") || decoded.contains("/")) {
                throw GatewayException.invalid("the path must stay under the service");
            }
        }
        URI target = prefix.resolve(relative);
        if (!target.toString().startsWith(prefix.toString())) {
            throw GatewayException.invalid("the path must stay under the service");
        }
        return target;
    }

    /** Configures an {@link HttpService}. */
    public static final class Builder {
        private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cordon-http-body");
        t.setDaemon(true);
        return t;
    });

    private final URI prefix;
        private long maxBytes = 1 << 20;
        private Duration timeout = Duration.ofSeconds(5);

        private Builder(String prefix) {
            URI uri;
            try {
                uri = new URI(Objects.requireNonNull(prefix, "prefix"));
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a URL: " + prefix);
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("an HTTP service prefix is an http(s) URL with a host and"
                        + " no user, query or fragment: " + prefix);
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            this.prefix = uri.resolve(path.endsWith("/") ? path : path + "/");
        }

        /** The largest body (default 1 MiB); a larger one fails the call. */
        public Builder maxBytes(long maxBytes) {
            this.maxBytes = maxBytes;
            return this;
        }

        /** How long to wait to connect and for the response (default 5 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        public HttpService build() {
            return new HttpService(this);
        }
    }
}
