package dev.cordon.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cordon.Execution;
import dev.cordon.Limits;
import dev.cordon.capabilities.Capability;
import dev.cordon.Durations;
import dev.cordon.Sizes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /v1/run}, checked field by field:
 * <pre>{@code {"code": "...", "params": {...}, "grants": ["fs.tmp"], "limits": {"wallTime": "2s"}, "backend": "graalpy"}}</pre>
 * Only {@code code} is required. Every refusal says which field is wrong and why.
 *
 * @param grants the grants asked for, each one of the client's
 * @param limits the limits asked for, each at most the client's (unset ones are the client's)
 */
record RunRequest(String code, Map<String, Object> params, List<String> grants, Limits limits, String backend) {

    private static final Set<String> FIELDS = Set.of("code", "params", "grants", "limits", "backend");

    private static final ObjectMapper MAPPER = dev.cordon.capabilities.Json.UNTRUSTED;

    /**
     * Parses a body and checks it against what the client may ask for and what the server offers.
     *
     * @throws ApiError 400 for a malformed body, 403 for a request beyond the client's authority
     */
    static RunRequest parse(byte[] body, ServeConfig.Client client, ServeConfig config) {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the body is not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("the body cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiError.badRequest("the body must be a JSON object with at least a \"code\" string");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw ApiError.badRequest("unknown field \"" + f + "\": a request has code, params, grants, limits and backend");
            }
        }
        JsonNode code = root.get("code");
        if (code == null || !code.isTextual()) {
            throw ApiError.badRequest("\"code\" must be a string of Python source");
        }
        if (code.asText().getBytes(StandardCharsets.UTF_8).length > config.maxCodeBytes()) {
            throw new ApiError(413, "code_too_large", "\"code\" is longer than this server's limit of "
                    + config.maxCodeBytes() + " bytes");
        }
        Map<String, Object> params = Map.of();
        JsonNode p = root.get("params");
        if (p != null && !p.isNull()) {
            if (!p.isObject()) {
                throw ApiError.badRequest("\"params\" must be an object of JSON values");
            }
            params = MAPPER.convertValue(p, Map.class);
        }
        List<String> grants = new ArrayList<>();
        JsonNode g = root.get("grants");
        if (g != null && !g.isNull()) {
            if (!g.isArray()) {
                throw ApiError.badRequest("\"grants\" must be an array of capability names");
            }
            for (JsonNode n : g) {
                if (!n.isTextual()) {
                    throw ApiError.badRequest("\"grants\" must be an array of capability names, not " + n);
                }
                try {
                    Capability.parse(n.asText());
                } catch (IllegalArgumentException e) {
                    throw ApiError.badRequest("grant \"" + n.asText() + "\": " + e.getMessage());
                }
                if (!client.grants().contains(n.asText())) {
                    throw ApiError.forbidden("this key may not grant \"" + n.asText() + "\"; it may grant "
                            + (client.grants().isEmpty() ? "nothing" : String.join(", ", client.grants())));
                }
                grants.add(n.asText());
            }
        }
        Limits limits = limits(root.get("limits"), client.limits());
        String backend = config.defaultBackend();
        JsonNode b = root.get("backend");
        if (b != null && !b.isNull()) {
            if (!b.isTextual()) {
                throw ApiError.badRequest("\"backend\" must be a string, one of " + config.backends());
            }
            backend = b.asText();
            if (!config.backends().contains(backend)) {
                throw ApiError.forbidden("backend \"" + backend + "\" is not offered here; this server offers "
                        + config.backends());
            }
        }
        return new RunRequest(code.asText(), params, List.copyOf(grants), limits, backend);
    }

    private static Limits limits(JsonNode l, Limits max) {
        if (l == null || l.isNull()) {
            return max;
        }
        if (!l.isObject()) {
            throw ApiError.badRequest("\"limits\" must be an object such as {\"wallTime\": \"2s\", \"memory\": \"64MB\"}");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!Limits.NAMES.contains(e.getKey())) {
                throw ApiError.badRequest("unknown limit \"" + e.getKey() + "\": limits are "
                        + String.join(", ", Limits.NAMES));
            }
            if (!e.getValue().isTextual() && !(e.getKey().equals("threads") && e.getValue().isInt())) {
                throw ApiError.badRequest("limit \"" + e.getKey() + "\" must be a string such as \"2s\" or \"64MB\"");
            }
        }
        Limits.Builder b = max.toBuilder();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.parse(e.getKey(), e.getValue().asText());
            }
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("limits: " + e.getMessage());
        }
        Limits asked = b.build();
        over("wallTime", asked.wallTime().compareTo(max.wallTime()) > 0, Durations.format(max.wallTime()));
        over("cpuTime", asked.cpuTime().compareTo(max.cpuTime()) > 0, Durations.format(max.cpuTime()));
        over("memory", asked.memoryBytes() > max.memoryBytes(), Sizes.format(max.memoryBytes()));
        over("output", asked.outputBytes() > max.outputBytes(), Sizes.format(max.outputBytes()));
        over("response", asked.responseBytes() > max.responseBytes(), Sizes.format(max.responseBytes()));
        over("threads", asked.threads() > max.threads(), max.threads());
        return asked;
    }

    private static void over(String limit, boolean over, Object max) {
        if (over) {
            throw ApiError.forbidden("limit \"" + limit + "\" is above what this key may ask for (" + max + ")");
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null ? null : n.asText();
    }

    /** The execution this request asks for, run as the client's principal. */
    Execution execution(ServeConfig.Client client) {
        Execution.Builder b = Execution.builder().code(code, "<request>").principal(client.principal()).limits(limits);
        grants.forEach(b::grant);
        try {
            b.params(params);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("params: " + e.getMessage());
        }
        return b.build();
    }
}
