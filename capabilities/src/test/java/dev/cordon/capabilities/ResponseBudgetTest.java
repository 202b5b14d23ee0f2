package dev.cordon.capabilities;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the host keeps of one call is bounded: each audit field, the events together, and every text. */
class ResponseBudgetTest {

    @Test
    void eachAuditFieldIsCutToItsLengthAndTheCutIsMarked() {
        AuditTrail trail = new AuditTrail(new ResponseBudget(1 << 20));
        String huge = "D".repeat(1 << 20);
        trail.denied(huge, huge, huge, huge);
        AuditEvent e = trail.events().get(0);
        for (String field : List.of(e.category(), e.action(), e.target(), e.detail())) {
            assertThat(field).startsWith("D".repeat(ResponseBudget.MAX_FIELD_CHARS))
                    .endsWith("…[" + ((1 << 20) - ResponseBudget.MAX_FIELD_CHARS) + " more characters cut]")
                    .hasSizeLessThan(ResponseBudget.MAX_FIELD_CHARS + 40);
        }
    }

    @Test
    void eventsPastTheBudgetAreCountedNotKeptAndALastEventSaysSo() {
        ResponseBudget budget = new ResponseBudget(64 << 10);
        AuditTrail trail = new AuditTrail(budget);
        String big = "x".repeat(4000);
        for (int i = 0; i < 1000; i++) {
            trail.denied("process", "system", big, "not available in the sandbox");
        }
        List<AuditEvent> events = trail.events();
        assertThat(budget.used()).isLessThanOrEqualTo(64 << 10);
        assertThat(events.size()).isBetween(10, 100);
        assertThat(trail.dropped()).isEqualTo(1000 - (events.size() - 1));
        AuditEvent last = events.get(events.size() - 1);
        assertThat(last.category()).isEqualTo("limit");
        assertThat(last.detail()).startsWith(trail.dropped() + " more events were not kept");
    }

    @Test
    void aTextIsCutToWhatRemainsKeepingItsStartOrItsEnd() {
        ResponseBudget budget = new ResponseBudget(1000);
        assertThat(budget.take(600)).isTrue();
        String message = budget.takeText("a".repeat(300) + "b".repeat(300), false);
        assertThat(message).startsWith("aaa").contains("cut: past the call's response budget of 1000 bytes");
        assertThat(budget.used()).isLessThanOrEqualTo(1000);
        ResponseBudget other = new ResponseBudget(1000);
        String traceback = other.takeText("frames\n".repeat(500) + "ValueError: boom\n", true);
        assertThat(traceback).endsWith("ValueError: boom\n").startsWith("…[cut");
        assertThat(other.used()).isLessThanOrEqualTo(1000);
        assertThat(new ResponseBudget(10).takeText("x".repeat(100), true)).isEmpty();
    }

    @Test
    void utf8LengthsAreCountedWithoutEncoding() {
        assertThat(ResponseBudget.utf8Length("aé€😀")).isEqualTo(1 + 2 + 3 + 4);
        assertThat(ResponseBudget.cut("ab😀cd", 3)).isEqualTo("ab…[4 more characters cut]");
    }
}
