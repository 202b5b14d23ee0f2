package dev.cordon.json;

import dev.cordon.ExecutionResult;
import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.Usage;
import dev.cordon.capabilities.AuditEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResultJsonTest {

    @Test
    void whatIsWrittenReadsBackEqual() {
        ExecutionResult r = new ExecutionResult(Status.ERROR, "out ✓\n", true, "err", false,
                Map.of("rows", List.of(1, "two", true)), new GuestError("ValueError", "bad", "Traceback...\n"),
                new Usage(12, 10, 4096, 7, 3, 5), List.of(
                new AuditEvent(Instant.parse("2026-11-23T10:00:00.123456Z"), "gateway", "call", "db.query",
                        AuditEvent.Outcome.ALLOWED, "", Duration.ofNanos(1_234_000)),
                new AuditEvent(Instant.parse("2026-11-23T10:00:01Z"), "process", "system", "id",
                        AuditEvent.Outcome.DENIED, "not available", null)));
        assertThat(ResultJson.read(ResultJson.toJson(r))).isEqualTo(r);
        ExecutionResult rejected = ExecutionResult.rejected("busy");
        assertThat(ResultJson.read(ResultJson.toJson(rejected))).isEqualTo(rejected);
    }

    @Test
    void somethingElseIsRefused() {
        assertThatThrownBy(() -> ResultJson.read("{\"status\": \"OK\"}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an execution result");
        assertThatThrownBy(() -> ResultJson.read("<html>")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JSON");
        String ok = ResultJson.toJson(ExecutionResult.rejected("x"));
        assertThatThrownBy(() -> ResultJson.read(ok.replace("REJECTED", "EXPLODED")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
