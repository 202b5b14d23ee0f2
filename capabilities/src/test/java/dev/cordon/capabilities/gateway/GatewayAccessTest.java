package dev.cordon.capabilities.gateway;

import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.Principal;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatewayAccessTest {

    private final Gateway gateway = Gateway.builder()
            .service("echo", (ctx, op, args) -> List.of(ctx.principal().name(), op, args))
            .service("boom", (ctx, op, args) -> {
                throw new IllegalStateException("secret detail jdbc:postgresql://10.0.0.5/db");
            })
            .service("odd", (ctx, op, args) -> new Object())
            .build();

    private GatewayAccess open(String principal, String execution, String... services) {
        return gateway.open(Principal.of(principal), execution, Set.of(services), new AuditTrail());
    }

    @Test
    void tokensAreLongRandomAndUnique() {
        GatewayAccess a = open("alice", "e1", "echo");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            String t = a.connect("echo");
            assertThat(t).matches("cgt1\\.[A-Za-z0-9_-]{32}");
            assertThat(seen.add(t)).isTrue();
        }
    }

    @Test
    void theServiceSeesThePrincipalOfTheExecutionNotOfTheToken() {
        GatewayAccess a = open("alice", "e1", "echo");
        String t = a.connect("echo");
        assertThat(a.call(t, "who", List.of(1, "x"))).isEqualTo(List.of("alice", "who", List.of(1, "x")));
    }

    @Test
    void ungrantedForgedStaleAndForeignTokensAreRefusedAndAudited() {
        AuditTrail audit = new AuditTrail();
        GatewayAccess a = gateway.open(Principal.of("alice"), "e1", Set.of("echo"), audit);
        GatewayAccess b = open("bob", "e2", "echo");
        assertThatThrownBy(() -> a.connect("boom")).isInstanceOf(GatewayException.class)
                .satisfies(e -> assertThat(((GatewayException) e).kind()).isEqualTo(GatewayException.Kind.PERMISSION));
        String foreign = b.connect("echo");
        assertThatThrownBy(() -> a.call(foreign, "x", List.of())).hasMessageContaining("another call");
        assertThatThrownBy(() -> a.attach(foreign)).hasMessageContaining("another call");
        assertThatThrownBy(() -> a.call("cgt1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x", List.of()))
                .hasMessageContaining("unknown");
        String mine = a.connect("echo");
        a.close();
        assertThatThrownBy(() -> a.call(mine, "x", List.of())).hasMessageContaining("unknown");
        assertThat(gateway.tokens().lookup(mine)).isNull();
        assertThat(gateway.tokens().lookup(foreign)).isNotNull();
        assertThat(audit.events()).filteredOn(e -> e.outcome() == AuditEvent.Outcome.DENIED).hasSize(5);
    }

    @Test
    void aFaultySericeFailsWithoutItsDetails() {
        AuditTrail audit = new AuditTrail();
        GatewayAccess a = gateway.open(Principal.of("alice"), "e1", Set.of("boom", "odd"), audit);
        String reply = a.callJson(a.connect("boom"), "go", "[]");
        assertThat(reply).isEqualTo("e{\"type\":\"RuntimeError\",\"message\":\"service boom failed\"}");
        assertThat(a.callJson(a.connect("odd"), "go", "[]")).startsWith("e").contains("service odd failed");
        AuditEvent failed = audit.events().stream().filter(e -> e.outcome() == AuditEvent.Outcome.FAILED)
                .findFirst().orElseThrow();
        assertThat(failed.detail()).isEqualTo("java.lang.IllegalStateException");
        assertThat(failed.duration()).isNotNull();
    }

    @Test
    void theWireFormCarriesValuesAndErrors() {
        GatewayAccess a = open("alice", "e1", "echo");
        String token = a.connect("echo");
        assertThat(a.callJson(token, "op", "[1,\"two\",null]")).isEqualTo("v[\"alice\",\"op\",[1,\"two\",null]]");
        assertThat(a.callJson(token, "op", "{\"a\":1}")).startsWith("e{\"type\":\"ValueError\"");
        assertThat(a.callJson(token, "op", "[1,")).startsWith("e{\"type\":\"ValueError\"");
        assertThat(a.connectJson("echo")).startsWith("v\"cgt1.");
        assertThat(a.attachJson(token)).isEqualTo("v\"echo\"");
        assertThat(a.connectJson("nope")).startsWith("e{\"type\":\"PermissionError\"");
    }

    @Test
    void grantingAnUnregisteredServiceIsAHostMistake() {
        assertThatThrownBy(() -> open("alice", "e1", "missing")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Gateway.builder().service("bad name", (c, o, a) -> null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
