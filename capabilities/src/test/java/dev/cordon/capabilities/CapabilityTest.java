package dev.cordon.capabilities;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapabilityTest {

    @Test
    void parsesTheThreeForms() {
        assertThat(Capability.parse("fs.tmp")).isEqualTo(Capability.TMP);
        assertThat(Capability.parse("fs.read:/data")).isEqualTo(Capability.readMount("/data"));
        assertThat(Capability.parse("gateway:db")).isEqualTo(Capability.gateway("db"));
        assertThat(Capability.parse("gateway:db").name()).isEqualTo("gateway:db");
    }

    @Test
    void refusesAnythingElse() {
        for (String bad : new String[] {"", "fs", "fs.tmp:x", "fs.read", "fs.read:", "gateway:", "net", "FS.TMP",
                "fs.write:/x", ":db"}) {
            assertThatThrownBy(() -> Capability.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void grantsAnswerOnlyForWhatTheyHold() {
        Grants g = Grants.of("fs.read:/data", "gateway:db");
        assertThat(g.canReadMount("/data")).isTrue();
        assertThat(g.canReadMount("/other")).isFalse();
        assertThat(g.canUseService("db")).isTrue();
        assertThat(g.canUseService("cache")).isFalse();
        assertThat(g.hasTmp()).isFalse();
        assertThat(Grants.none().capabilities()).isEmpty();
    }

    @Test
    void theAuditTrailIsBounded() {
        AuditTrail trail = new AuditTrail(java.time.Clock.systemUTC(), 3, dev.cordon.capabilities.ResponseBudget.unbounded());
        for (int i = 0; i < 10; i++) {
            trail.denied("fs", "open", "/x" + i, "no");
        }
        assertThat(trail.events()).hasSize(4);
        assertThat(trail.events().get(3).detail()).startsWith("7 more events were not kept (at most 3 per call");
        assertThat(trail.dropped()).isEqualTo(7);
    }
}
