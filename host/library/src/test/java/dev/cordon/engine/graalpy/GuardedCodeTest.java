package dev.cordon.engine.graalpy;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The host's quick test for "nothing to rewrite" must know every text the guest's rewrite reacts to. */
class GuardedCodeTest {

    @Test
    void theHostsTriggersAreTheGuards() {
        ExecutionResult r = SharedCordon.run("from cordon import _guard\nprint('\\n'.join(_guard.TRIGGERS))");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(List.of(r.stdout().strip().split("\n"))).containsExactlyInAnyOrderElementsOf(GuardedCode.TRIGGERS);
    }

    @Test
    void codeWithoutTriggersNeedsNoRewrite() {
        assertThat(GuardedCode.mayNeedGuard("print('hello')\nx = 1 + 2")).isFalse();
        assertThat(GuardedCode.mayNeedGuard("x = 2 ** 3")).isTrue();
        assertThat(GuardedCode.mayNeedGuard("y = sorted(z)")).isTrue();
        assertThat(GuardedCode.mayNeedGuard("try:\n    pass\nexcept Exception:\n    pass")).isTrue();
        // Too long to parse safely: the guard refuses it before parsing.
        assertThat(GuardedCode.mayNeedGuard("x = 1" + " ".repeat(GuardedCode.MAX_SOURCE_CHARS))).isTrue();
    }
}
