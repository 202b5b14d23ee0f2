package dev.cordon.engine.graalpy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.engine.CallBridge;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest passes its own bound to the bridge's computations; the call's bound (its maxOperationBytes, given
 * when the call is bound) holds whatever the guest passes.
 */
class GuestBridgeBoundsTest {

    private static GuestBridge bound(long maxBytes) {
        GuestBridge bridge = new GuestBridge("{}", () -> null, (file, text, timeLeft) -> null);
        bridge.bind(new CallBridge("{}", new ResponseBudget(1 << 20), new AuditTrail(), null), maxBytes, java.time.Duration.ofMinutes(1), 0);
        return bridge;
    }

    @Test
    void anXmlDocumentOrItsEventsPastTheCallsBoundAreRefused() {
        GuestBridge bridge = bound(100);
        assertThat(bridge.xmlEvents("<a>" + "x".repeat(200) + "</a>", false, null, null, Long.MAX_VALUE))
                .startsWith("{\"error\":").contains("larger than the 100 characters");
        assertThat(bridge.xmlEvents("<a>" + "x".repeat(50) + "</a>", false, null, null, Long.MAX_VALUE))
                .startsWith("{\"events\":");
        assertThat(bridge.xmlEvents("<a>" + "x".repeat(50) + "</a>", false, null, null, 10))
                .startsWith("{\"error\":");
    }

    @Test
    void bzip2InputAndOutputPastTheCallsBoundAreRefused() {
        GuestBridge big = bound(1 << 20);
        String compressed = big.bz2Compress("z".repeat(10_000), 9);
        assertThat(compressed).isNotNull().startsWith("BZh9");
        assertThat(big.bz2Decompress(compressed, Long.MAX_VALUE, 0)).startsWith("o" + compressed.length() + ":");
        GuestBridge small = bound(1_000);
        assertThat(small.bz2Decompress(compressed, Long.MAX_VALUE, 0)).as("10,000 bytes out").isEqualTo("m");
        assertThat(small.bz2Compress("z".repeat(2_000), 9)).as("2,000 bytes in").isNull();
        assertThat(new String(compressed.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1))
                .isEqualTo(compressed);
    }
}
