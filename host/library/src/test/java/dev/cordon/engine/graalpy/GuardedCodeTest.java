package dev.cordon.engine.graalpy;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The host's quick test for "nothing to rewrite" knows every text the guest's rewrite reacts to: the host
 * asks the guard itself ({@link GuardFacts}) instead of keeping a list of its own.
 */
class GuardedCodeTest {

    @RegisterExtension
    static final RuntimeExtension RUNTIME = new RuntimeExtension();

    @Test
    void theHostsTriggersAreTheGuardsAsTheGuestSeesIt() {
        ExecutionResult r = SharedCordon.run("from _cordon_graalpy import guard\nprint('\\n'.join(guard.TRIGGERS))\n"
                + "print(guard.MAX_SOURCE)");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        List<String> lines = List.of(r.stdout().strip().split("\n"));
        assertThat(lines.subList(0, lines.size() - 1)).containsExactlyElementsOf(RUNTIME.get().guardFacts().triggers());
        assertThat(lines.get(lines.size() - 1)).isEqualTo(String.valueOf(RUNTIME.get().guardFacts().maxSourceChars()));
        assertThat(RUNTIME.get().guardFacts().triggers()).contains("*", "except", "join", "sorted");
    }

    @Test
    void codeWithoutTriggersNeedsNoRewrite() {
        GuardFacts facts = RUNTIME.get().guardFacts();
        assertThat(facts.mayNeedGuard("print('hello')\nx = 1 + 2")).isFalse();
        assertThat(facts.mayNeedGuard("x = 2 ** 3")).isTrue();
        assertThat(facts.mayNeedGuard("y = sorted(z)")).isTrue();
        assertThat(facts.mayNeedGuard("try:\n    pass\nexcept Exception:\n    pass")).isTrue();
        // Too long to parse safely: the guard refuses it before parsing.
        assertThat(facts.mayNeedGuard("x = 1" + " ".repeat(facts.maxSourceChars()))).isTrue();
    }
}
