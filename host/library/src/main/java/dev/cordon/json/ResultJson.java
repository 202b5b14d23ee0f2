package dev.cordon.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cordon.ExecutionResult;
import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.Usage;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.Json;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one JSON form of an {@link ExecutionResult}: what {@code cordon run --json} prints, what
 * {@code cordon serve} answers and what its client reads back. {@link #read} inverts {@link #write}.
 */
public final class ResultJson {

    private ResultJson() {
    }

    public static ObjectNode write(ExecutionResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", r.status().name());
        o.put("stdout", r.stdout());
        o.put("stderr", r.stderr());
        o.put("stdoutTruncated", r.stdoutTruncated());
        o.put("stderrTruncated", r.stderrTruncated());
        o.set("value", Json.MAPPER.valueToTree(r.value()));
        if (r.error() == null) {
            o.putNull("error");
        } else {
            ObjectNode e = o.putObject("error");
            e.put("type", r.error().type());
            e.put("message", r.error().message());
            e.put("traceback", r.error().traceback());
        }
        ObjectNode u = o.putObject("usage");
        u.put("wallMillis", r.usage().wallMillis());
        u.put("cpuMillis", r.usage().cpuMillis());
        u.put("allocatedBytes", r.usage().allocatedBytes());
        u.put("stdoutBytes", r.usage().stdoutBytes());
        u.put("stderrBytes", r.usage().stderrBytes());
        u.put("prepareMillis", r.usage().prepareMillis());
        ArrayNode events = o.putArray("events");
        for (AuditEvent ev : r.events()) {
            ObjectNode e = events.addObject();
            e.put("time", ev.time().toString());
            e.put("category", ev.category());
            e.put("action", ev.action());
            e.put("target", ev.target());
            e.put("outcome", ev.outcome().name());
            e.put("detail", ev.detail());
            if (ev.duration() != null) {
                e.put("micros", ev.duration().toNanos() / 1_000);
            }
        }
        return o;
    }

    public static String toJson(ExecutionResult r) {
        return write(r).toString();
    }

    /**
     * Reads back what {@link #write} wrote.
     *
     * @throws IllegalArgumentException if the text is not such a result
     */
    public static ExecutionResult read(String json) {
        JsonNode o;
        try {
            o = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        try {
            JsonNode e = o.path("error");
            GuestError error = e.isObject()
                    ? new GuestError(text(e, "type"), text(e, "message"), text(e, "traceback")) : null;
            JsonNode u = o.required("usage");
            Usage usage = new Usage(u.required("wallMillis").asLong(), u.required("cpuMillis").asLong(),
                    u.required("allocatedBytes").asLong(), u.required("stdoutBytes").asLong(),
                    u.required("stderrBytes").asLong(), u.required("prepareMillis").asLong());
            List<AuditEvent> events = new ArrayList<>();
            for (JsonNode ev : o.required("events")) {
                events.add(new AuditEvent(Instant.parse(text(ev, "time")), text(ev, "category"), text(ev, "action"),
                        text(ev, "target"), AuditEvent.Outcome.valueOf(text(ev, "outcome")), text(ev, "detail"),
                        ev.has("micros") ? Duration.ofNanos(ev.get("micros").asLong() * 1_000) : null));
            }
            Object value = o.path("value").isMissingNode() || o.get("value").isNull() ? null
                    : Json.MAPPER.treeToValue(o.get("value"), Object.class);
            return new ExecutionResult(Status.valueOf(text(o, "status")), text(o, "stdout"),
                    o.required("stdoutTruncated").asBoolean(), text(o, "stderr"),
                    o.required("stderrTruncated").asBoolean(), value, error, usage, events);
        } catch (IllegalArgumentException | NullPointerException | JsonProcessingException
                 | java.time.format.DateTimeParseException ex) {
            throw new IllegalArgumentException("not an execution result: " + ex.getMessage(), ex);
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.required(field);
        if (!n.isTextual()) {
            throw new IllegalArgumentException(field + " is not a string");
        }
        return n.asText();
    }
}
