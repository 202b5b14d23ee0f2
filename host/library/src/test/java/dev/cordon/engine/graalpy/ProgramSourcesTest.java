package dev.cordon.engine.graalpy;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.graalvm.polyglot.Source;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One source object per program, so that the engine keeps sharing its code; bounded; never shared state. */
class ProgramSourcesTest {

    @Test
    void theSameProgramGetsTheSameSourceObject() {
        ProgramSources programs = new ProgramSources(1 << 20);
        Source first = programs.of("print(1)", "a.py");
        assertThat(programs.of("print(1)", "a.py")).isSameAs(first);
        assertThat(programs.of("print(1)", "b.py")).isNotSameAs(first);
        assertThat(programs.of("print(2)", "a.py")).isNotSameAs(first);
        assertThat(first.getCharacters().toString()).isEqualTo("print(1)");
        assertThat(first.getName()).isEqualTo("a.py");
        assertThat(first.isInteractive()).isFalse();
    }

    @Test
    void theProgramsHeldStayWithinTheBound() {
        ProgramSources programs = new ProgramSources(1000);
        for (int i = 0; i < 100; i++) {
            programs.of("x = " + i + " # " + "-".repeat(90), "p.py");
        }
        assertThat(programs.size()).isBetween(1L, 10L);
    }

    @Test
    void aSharedSourceSharesNoStateBetweenRuns() {
        String program = "print(globals().get('seen', 'fresh'))\nseen = 1";
        try (GraalPyRuntime runtime = GraalPyRuntime.acquire()) {
            assertThat(runtime.guardFacts().mayNeedGuard(program)).as("runs as written").isFalse();
        }
        for (int i = 0; i < 3; i++) {
            ExecutionResult r = SharedCordon.run(program);
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("fresh\n");
        }
    }
}
