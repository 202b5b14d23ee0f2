package dev.cordon.capabilities;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;
import java.util.Map;

/** JSON for values crossing the sandbox boundary: parameters, results, gateway arguments. */
public final class Json {

    /** Shared, thread-safe once configured. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * The reader for what an untrusted client sends: nesting as deep as a sane message needs (64), so that a
     * deeply nested one costs nothing to refuse, and a key given twice an error rather than the last one winning
     * (two readers of one message must not see two different ones).
     */
    public static final ObjectMapper UNTRUSTED = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder().maxNestingDepth(64).build())
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private Json() {
    }

    /**
     * @throws IllegalArgumentException unless {@code value} is null, a Boolean, a Number, a String, a
     *                                  List or a Map with String keys of such values
     */
    public static void requireCompatible(Object value, String what) {
        if (value == null || value instanceof Boolean || value instanceof String) {
            return;
        }
        if (value instanceof Number n) {
            if ((n instanceof Double d && !Double.isFinite(d)) || (n instanceof Float f && !Float.isFinite(f))) {
                throw new IllegalArgumentException(what + " is not a finite number: " + n);
            }
            return;
        }
        if (value instanceof List<?> list) {
            for (Object o : list) {
                requireCompatible(o, what);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String)) {
                    throw new IllegalArgumentException(what + " has a non-string key: " + e.getKey());
                }
                requireCompatible(e.getValue(), what);
            }
            return;
        }
        throw new IllegalArgumentException(what + " is not JSON-compatible: " + value.getClass().getName());
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON-compatible: " + e.getOriginalMessage(), e);
        }
    }

    /** Parses JSON into plain Java values (Map, List, String, Number, Boolean, null). */
    public static Object read(String json) throws JsonProcessingException {
        return MAPPER.readValue(json, Object.class);
    }
}
