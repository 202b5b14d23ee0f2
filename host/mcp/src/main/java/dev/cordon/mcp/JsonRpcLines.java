package dev.cordon.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * The client's side of stdio, checked line by line before the SDK's transport reads it: that transport ends
 * the whole connection at the first line it cannot decode. Here a line that is not JSON is answered with a
 * JSON-RPC parse error (-32700), a line that is JSON but no JSON-RPC 2.0 message with an invalid-request
 * error (-32600, with the request's id when it has one), a line longer than the bound with an invalid-request
 * error; none reaches the server, so nothing runs, and the connection carries on. Blank lines are skipped.
 * Answers are written under the output stream's monitor, as the transport writes its own.
 */
final class JsonRpcLines extends InputStream {

    private static final ObjectMapper MAPPER = dev.cordon.capabilities.Json.UNTRUSTED;

    private final InputStream in;
    private final OutputStream out;
    private final int maxLineBytes;
    private final CountDownLatch ended = new CountDownLatch(1);
    private byte[] line = new byte[0];
    private int at;

    JsonRpcLines(InputStream in, OutputStream out, int maxLineBytes) {
        this.in = in;
        this.out = out;
        this.maxLineBytes = maxLineBytes;
    }

    /** Waits until the client has closed its side. */
    void awaitEnd() throws InterruptedException {
        ended.await();
    }

    @Override
    public int read() throws IOException {
        return hasMore() ? line[at++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (!hasMore()) {
            return -1;
        }
        int n = Math.min(len, line.length - at);
        System.arraycopy(line, at, b, off, n);
        at += n;
        return n;
    }

    /** Whether a byte of a line that passed is there to serve, reading lines until one passes or input ends. */
    private boolean hasMore() throws IOException {
        while (at == line.length) {
            if (!nextLine()) {
                return false;
            }
        }
        return true;
    }

    /** Reads lines until one passes (it is then what {@link #read} serves) or the input ends. */
    private boolean nextLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean tooLong = false;
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (buf.size() < maxLineBytes) {
                buf.write(c);
            } else {
                tooLong = true;
            }
        }
        if (c < 0 && buf.size() == 0) {
            ended.countDown();
            return false;
        }
        if (tooLong) {
            answer(null, -32600, "Invalid Request: a message may be at most " + maxLineBytes + " bytes long");
        } else if (checked(buf.toByteArray())) {
            buf.write('\n');
            line = buf.toByteArray();
            at = 0;
        }
        if (c < 0) {
            // The last line had no newline: serve it if it passed, and end after it.
            ended.countDown();
        }
        return true;
    }

    private boolean checked(byte[] bytes) throws IOException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return false;
        }
        JsonNode message;
        try {
            message = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            answer(null, -32700, "Parse error: " + e.getOriginalMessage());
            return false;
        }
        JsonNode id = message != null && message.isObject() ? message.get("id") : null;
        if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
            id = null;
        }
        String problem = problem(message);
        if (problem != null) {
            answer(id, -32600, "Invalid Request: " + problem);
            return false;
        }
        return true;
    }

    /** What keeps a JSON value from being a JSON-RPC 2.0 message, or null. */
    private static String problem(JsonNode m) {
        if (m == null || !m.isObject()) {
            return "a message must be a JSON object (batches are not part of MCP)";
        }
        if (!"2.0".equals(m.path("jsonrpc").asText(null))) {
            return "\"jsonrpc\" must be \"2.0\"";
        }
        JsonNode id = m.get("id");
        if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
            return "\"id\" must be a string or an integer";
        }
        if (m.has("method")) {
            if (!m.get("method").isTextual()) {
                return "\"method\" must be a string";
            }
            JsonNode params = m.get("params");
            if (params != null && !params.isObject()) {
                return "\"params\" must be an object";
            }
            return null;
        }
        if (id != null && (m.has("result") || m.get("error") instanceof ObjectNode)) {
            return null;
        }
        return "a message is a request (method), a notification (method, no id) or a response (id with result or error)";
    }

    private void answer(JsonNode id, int code, String message) throws IOException {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("jsonrpc", "2.0");
        o.set("id", id == null ? JsonNodeFactory.instance.nullNode() : id);
        o.putObject("error").put("code", code).put("message", message);
        byte[] bytes = (MAPPER.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }
}
