package dev.cordon.capabilities.services;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyValueServiceTest {

    private static Object call(KeyValueService kv, String principal, String op, Object... args) {
        return kv.call(new CallContext(Principal.of(principal), "e", "cache"), op, Arrays.asList(args));
    }

    @Test
    void eachPrincipalHasItsOwnNamespaceUnlessShared() {
        KeyValueService kv = KeyValueService.builder().build();
        call(kv, "alice", "set", "score", 10);
        assertThat(call(kv, "alice", "get", "score")).isEqualTo(10);
        assertThat(call(kv, "bob", "get", "score")).isNull();
        assertThat(call(kv, "alice\0score", "get", "x")).isNull();
        KeyValueService shared = KeyValueService.builder().shared(true).build();
        call(shared, "alice", "set", "score", 10);
        assertThat(call(shared, "bob", "get", "score")).isEqualTo(10);
    }

    @Test
    void setGetDeleteIncr() {
        KeyValueService kv = KeyValueService.builder().build();
        call(kv, "a", "set", "doc", Map.of("list", List.of(1, 2)));
        assertThat(call(kv, "a", "get", "doc")).isEqualTo(Map.of("list", List.of(1, 2)));
        assertThat(call(kv, "a", "delete", "doc")).isEqualTo(true);
        assertThat(call(kv, "a", "delete", "doc")).isEqualTo(false);
        assertThat(call(kv, "a", "incr", "n")).isEqualTo(1L);
        assertThat(call(kv, "a", "incr", "n", 41)).isEqualTo(42L);
        call(kv, "a", "set", "s", "text");
        assertThatThrownBy(() -> call(kv, "a", "incr", "s")).isInstanceOf(GatewayException.class);
        assertThatThrownBy(() -> call(kv, "a", "get", "k".repeat(251))).isInstanceOf(GatewayException.class);
        assertThatThrownBy(() -> call(kv, "a", "set", "k", "v", 0)).isInstanceOf(GatewayException.class);
        assertThatThrownBy(() -> call(kv, "a", "flush")).isInstanceOf(GatewayException.class)
                .satisfies(e -> assertThat(((GatewayException) e).kind()).isEqualTo(GatewayException.Kind.NOT_FOUND));
    }

    @Test
    void entriesWithATimeToLiveExpire() {
        AtomicLong now = new AtomicLong();
        Ticker ticker = now::get;
        KeyValueService kv = KeyValueService.builder().ticker(ticker).build();
        call(kv, "a", "set", "short", 1, 10);
        call(kv, "a", "set", "forever", 2);
        now.addAndGet(9_000_000_000L);
        assertThat(call(kv, "a", "get", "short")).isEqualTo(1);
        now.addAndGet(2_000_000_000L);
        assertThat(call(kv, "a", "get", "short")).isNull();
        assertThat(call(kv, "a", "get", "forever")).isEqualTo(2);
    }

    @Test
    void valuesAreBounded() {
        KeyValueService kv = KeyValueService.builder().maxValueBytes(100).build();
        assertThatThrownBy(() -> call(kv, "a", "set", "big", "x".repeat(200))).isInstanceOf(GatewayException.class);
    }
}
