package dev.cordon.engine.graalpy;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guarded programs run from the guard's text (_cordon_graalpy/guarded_text.py), which the host evaluates as a source
 * of its own: the same results, the same line numbers, the same refusals as the guarded tree, and the
 * marshalled code wherever the text cannot be written.
 */
class GuardedTextTest {

    private static GraalPyRuntime runtime;

    @BeforeAll
    static void runtime() {
        SharedCordon.get();
        runtime = GraalPyRuntime.acquire();
    }

    @AfterAll
    static void release() {
        runtime.close();
    }

    static Stream<Arguments> programs() {
        return Stream.of(
                Arguments.of("x = sum(i * i for i in range(100))\nprint(x)", "328350\n"),
                Arguments.of("def f(a, b):\n    return a * b\nprint(f(2, 3), f(1.5, 2), f('ab', 2), f([1], 2))",
                        "6 3.0 abab [1, 1]\n"),
                Arguments.of("def g(x):\n    x *= 3\n    return x\nprint(g(2), g('a'), g(0.5))\n"
                        + "d = {'a': 2}\nd['a'] **= 3\nclass O: pass\no = O()\no.v = 1\no.v <<= 4\nprint(d, o.v)",
                        "6 aaa 1.5\n{'a': 8} 16\n"),
                Arguments.of("try:\n    1 / 0\nexcept ZeroDivisionError: print('caught')", "caught\n"),
                Arguments.of("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    print('caught', type(e).__name__)",
                        "caught ZeroDivisionError\n"),
                // The check of an except clause is in its header: a body may begin with a compound statement,
                // a bare except has it right after the keyword.
                Arguments.of("try:\n    x = 1 / 0\nexcept ZeroDivisionError:\n    if True:\n        print('caught', 2 * 3)",
                        "caught 6\n"),
                Arguments.of("def f(x):\n    try:\n        return 1 / x\n    except (TypeError,\n            ValueError):\n"
                        + "        for i in range(1):\n            return 'type'\n    except:\n        with open('/dev/null'):\n"
                        + "            return 'bare'\ntry: {}['k']\nexcept: print('bare one-liner')\n"
                        + "import sys\nprint(f('a'), f(2), sys._getframe().f_lineno)",
                        "bare one-liner\ntype 0.5 14\n"),
                // Line breaks between the operands stay, so later lines keep their numbers.
                Arguments.of("x = (1 +\n  2) * (3 +\n 4)\nimport sys\nprint(x, sys._getframe().f_lineno)", "21 5\n"),
                Arguments.of("n = 2\ny = n \\\n  * 3\nimport sys\nprint(y, sys._getframe().f_lineno)", "6 5\n"),
                Arguments.of("print('-'.join(str(i) for i in range(3)), sorted({3, 1}), [*range(2)], 'é' * 2)",
                        "0-1-2 [1, 3] [0, 1] éé\n"),
                Arguments.of("def h(n):\n    return [f'{i * n}' for i in range(n)]\nprint(h(3), (lambda a: a * 2)(4))",
                        "['0', '3', '6'] 8\n"));
    }

    @ParameterizedTest
    @MethodSource("programs")
    void aGuardedProgramRunsFromItsTextWithTheResultsOfItsTree(String code, String stdout) {
        ExecutionResult r = SharedCordon.run(code);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo(stdout);
        GuardedCode.Form form = runtime.guardedCode().get("<string>", code);
        assertThat(form).as("kept for later contexts").isNotNull();
        assertThat(form.isSource()).as(form.text()).isTrue();
        assertThat(form.text()).contains("__cordon_").hasLineCount(code.split("\n", -1).length);
    }

    @Test
    void whatTheTextCannotSayRunsFromMarshalledCode() {
        // A checked product in a replacement field's format spec is not written as text.
        String code = "n = 3\nw = 5\nprint(f'[{n * 3:{w * 1}}]')";
        ExecutionResult r = SharedCordon.run(code);
        assertThat(r.stdout()).as(r.toString()).isEqualTo("[    9]\n");
        assertThat(runtime.guardedCode().get("<string>", code).isSource()).isFalse();
    }

    @Test
    void theTextKeepsTheGuardsRefusals() {
        String code = "def f(a, b):\n    return a * b\nf(2.0, 3.0)\nf([0], 10**9)";
        ExecutionResult r = SharedCordon.run(code);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(r.error().message()).contains("repeating a list").contains("refused");
        assertThat(runtime.guardedCode().get("<string>", code).isSource()).isTrue();
    }

    @Test
    void tracebacksQuoteTheProgramsOwnLinesAndMarkColumnsOnlyWhereTheyAreTheProgramsToo() {
        // Column marks: GraalPy prints them under part of a line, as in a function's return.
        String changed = "def f(a, b):\n    return 1 + {}[b * a]\nf(2, 'x')\n";
        ExecutionResult r = SharedCordon.run(changed);
        assertThat(r.error().type()).as(r.toString()).isEqualTo("KeyError");
        assertThat(runtime.guardedCode().get("<string>", changed).isSource()).isTrue();
        assertThat(r.error().traceback()).contains("line 2").contains("    return 1 + {}[b * a]\n")
                .doesNotContain("__cordon").doesNotContain("^");
        String unchanged = "def f(a):\n    return 1 + {}[a]\nf(2 * 3)\n";
        ExecutionResult u = SharedCordon.run(unchanged);
        assertThat(u.error().type()).as(u.toString()).isEqualTo("KeyError");
        assertThat(runtime.guardedCode().get("<string>", unchanged).isSource()).isTrue();
        assertThat(u.error().traceback()).contains("line 2").contains("    return 1 + {}[a]\n").contains("^");
    }
}
