package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Session;
import dev.cordon.Status;
import dev.cordon.capabilities.Grants;
import dev.cordon.testing.SharedCordon;
import dev.cordon.tests.hostile.HostilePrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operation guard ({@code _cordon_graalpy/guard.py}): every operation that GraalPy could not interrupt once
 * started is refused with a MemoryError before it allocates anything, in every way the guest can spell it;
 * ordinary arithmetic and sequences behave exactly as in CPython; and the guarded code that one call
 * compiles can never be changed by another call.
 */
class OperationGuardTest {

    /** 64 MiB per call: small enough that each refused operation is far over it. */
    private static final Limits LIMITS = SharedCordon.LIMITS.toBuilder().memoryBytes(64L << 20).build();

    /**
     * A count whose first __index__ is 1 and every later one 10**9: a check that reads it apart from the operation
     * misses it. M is also iterable, which bytes() and bytearray() ignore when there is an __index__.
     */
    private static final String INDEX_GROWS = """
            class N:
                reads = 0
                def __index__(self):
                    N.reads += 1
                    return 1 if N.reads == 1 else 10**9
            class M(N):
                def __iter__(self):
                    return iter([65])
            """;

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("list repeat", "[0] * 10**9", "repeating a list"),
                Arguments.of("repeat on the left", "10**9 * [0]", "repeating a list"),
                Arguments.of("string repeat", "'a' * 10**9", "repeating a str"),
                Arguments.of("bytes repeat", "b'ab' * 10**9", "repeating a bytes"),
                Arguments.of("tuple repeat", "(1, 2) * 10**9", "repeating a tuple"),
                Arguments.of("array repeat", "import array\narray.array('d', [0.0]) * 10**8", "repeating a array"),
                Arguments.of("augmented repeat", "x = [0]\nx *= 10**9", "repeating a list"),
                Arguments.of("repeat of a list subclass", "class L(list): pass\nL([0]) * 10**9", "repeating a L"),
                Arguments.of("repeat of a str subclass whose __len__ lies",
                        "class S(str):\n    def __len__(self): return 0\nS('ab') * 10**9", "repeating a S"),
                Arguments.of("deque repeat", "import collections\ncollections.deque([0]) * 10**9", "repeating a deque"),
                Arguments.of("deque repeat on the left", "import collections\n10**9 * collections.deque([0])",
                        "repeating a deque"),
                Arguments.of("augmented deque repeat", "import collections\nd = collections.deque([0])\nd *= 10**9",
                        "repeating a deque"),
                Arguments.of("augmented repeat of an attribute", "class C: pass\nc = C()\nc.x = 'ab'\nc.x *= 10**9",
                        "repeating a str"),
                Arguments.of("integer power", "10 ** (10 ** 8)", "the power"),
                Arguments.of("augmented power", "x = 10\nx **= 10**8", "the power"),
                Arguments.of("builtin pow", "pow(3, 10**9)", "the power"),
                Arguments.of("integer squaring", "x = 7 ** (10 ** 5)\nwhile True: x = x * x", "the product"),
                Arguments.of("integer shift", "1 << (10 ** 10)", "an integer shift"),
                Arguments.of("augmented shift", "x = 1\nx <<= 10**10", "an integer shift"),
                Arguments.of("factorial", "import math\nmath.factorial(10**7)", "factorial"),
                Arguments.of("operator.mul", "import operator\noperator.mul([0], 10**9)", "repeating a list"),
                Arguments.of("operator.pow", "import operator\noperator.pow(10, 10**8)", "the power"),
                Arguments.of("functools.reduce", "import functools, operator\nfunctools.reduce(operator.mul, [[0], 10**9])",
                        "repeating a list"),
                Arguments.of("tuple of a huge range", "tuple(range(10**9))", "a sequence of 1000000000 items"),
                Arguments.of("list of a huge range", "list(range(10**9))", "a sequence of"),
                Arguments.of("sorted huge range", "sorted(range(10**8))", "a sequence of"),
                Arguments.of("set of a huge range", "set(range(10**9))", "a sequence of"),
                Arguments.of("starred huge range", "[*range(10**9)]", "a sequence of"),
                Arguments.of("extend by a huge range", "l = []\nl.extend(range(10**9))", "a sequence of"),
                Arguments.of("join of a repeat", "import itertools\n''.join(itertools.repeat('x', 10**9))", "a sequence of"),
                Arguments.of("list of an endless count", "import itertools\nlist(itertools.count())", "endless"),
                Arguments.of("list of an endless cycle", "import itertools\nlist(itertools.cycle('ab'))", "endless"),
                Arguments.of("cycle over a generator", "import itertools\nlist(itertools.cycle(x for x in 'a'))", "endless"),
                Arguments.of("huge bytearray", "bytearray(2**31 - 100)", "an object of"),
                Arguments.of("huge bytes", "bytes(10**9)", "an object of"),
                Arguments.of("huge padding", "'x'.ljust(10**9)", "an object of"),
                Arguments.of("exec of a string", "exec('[0] * 10**9')", "repeating a list"),
                Arguments.of("eval of a string", "eval('10 ** 10 ** 8')", "the power"),
                Arguments.of("compile then exec", "exec(compile('[0] * 10**9', 's', 'exec'))", "repeating a list"),
                Arguments.of("compile of a syntax tree", "import ast\nexec(compile(ast.parse('[0] * 10**9'), 's', 'exec'))",
                        "repeating a list"),
                Arguments.of("inside a function", "def f(n):\n    return [None] * n\nf(10**9)", "repeating a list"),
                Arguments.of("a source over a megabyte", "x = 1" + "+1".repeat(600_000), "a source of"),
                Arguments.of("an exec'd source over a megabyte", "exec('1' + '+1' * 600000)", "a source of"),
                Arguments.of("a stdlib path does not exempt guest code",
                        "exec(compile('[0] * 10**9', '/usr/lib/graalpy/lib/python3.12/os.py', 'exec'))", "repeating a list"),
                Arguments.of("a float product in a function still checks what is no float",
                        "def f(a, b):\n    return a * b\nf(2.0, 3.0)\nf([0], 10**9)", "repeating a list"),
                Arguments.of("an augmented repeat in a function", "def f(n):\n    x = [0]\n    x *= n\nf(10**9)",
                        "repeating a list"),
                Arguments.of("in a comprehension in a function", "def f(n):\n    return [[0] * k for k in (1, n)]\nf(10**9)",
                        "repeating a list"),
                Arguments.of("a float subclass as the count",
                        "class F(float):\n    def __index__(self): return 10**9\ndef f(x):\n    return [0] * x\nf(F(1.0))",
                        "repeating a list"),
                Arguments.of("an array repeated by __index__",
                        "import array\nclass N:\n    def __index__(self): return 10**9\narray.array('b', [0]) * N()",
                        "repeating a array"),
                Arguments.of("a size given by __index__", "class N:\n    def __index__(self): return 10**9\nbytearray(N())",
                        "an object of"),
                Arguments.of("inside a lambda in a comprehension", "[(lambda n: 'x' * n)(n) for n in (1, 10**9)]",
                        "repeating a str"),
                // Dunder methods called by their plain name, bound and unbound.
                Arguments.of("__pow__ by name", "(7).__pow__(10**8)", "the power"),
                Arguments.of("__mul__ of a list by name", "[0].__mul__(3 * 10**8)", "repeating a list"),
                Arguments.of("str.__mul__ unbound", "str.__mul__('x', 10**9)", "repeating a str"),
                Arguments.of("int.__pow__ unbound", "int.__pow__(7, 10**8)", "the power"),
                Arguments.of("__rmul__ by name", "(10**9).__rmul__([0]) if False else [0].__rmul__(10**9)", "repeating a list"),
                Arguments.of("__lshift__ by name", "(1).__lshift__(10**10)", "an integer shift"),
                // Widths and precisions that make a huge text in one step.
                Arguments.of("%-format width", "'%0999999999d' % 1", "a %-format width"),
                Arguments.of("%-format width given by *", "'%*d' % (999999999, 1)", "a %-format width"),
                Arguments.of("%-format of a variable format", "f = '%0999999999d'\nf % 1", "a %-format width"),
                Arguments.of("%-format in a function", "def f(fmt):\n    return fmt % 1\nf('%.999999999f')",
                        "a %-format precision"),
                Arguments.of("format() width", "format(1, '0999999999d')", "a format width"),
                Arguments.of("str.format width", "'{:0999999999}'.format(1)", "a format width"),
                Arguments.of("str.format nested width", "'{:{w}}'.format(1, w=999999999)", "a format width"),
                Arguments.of("f-string width", "f'{1:0999999999}'", "a format width"),
                Arguments.of("f-string width from a variable", "w = 999999999\nf'{1:{w}}'", "a format width"),
                Arguments.of("__format__ by name", "(1).__format__('0999999999d')", "a format width"),
                // Builtins whose result size their arguments' contents decide.
                Arguments.of("int.to_bytes of a huge length", "(1).to_bytes(1500000000, 'big')", "an object of"),
                Arguments.of("math.prod of a huge range", "import math\nmath.prod(range(1, 300000))", "the product"),
                Arguments.of("replace that multiplies", "('a' * 1000).replace('a', 'b' * 1000000)", "replace()"),
                Arguments.of("expandtabs that multiplies", "('\\t' * 1000).expandtabs(1000000)", "expandtabs("),
                Arguments.of("a join of large items", "''.join(['x' * 10**6] * 100)", "a join of 100 items"),
                Arguments.of("a join of one large item many times", "b','.join((b'x' * 10**6,) * 100)",
                        "a join of 100 items"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void anUninterruptibleOperationIsRefusedBeforeItStarts(String name, String code, String message) {
        ExecutionResult r = run(code);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(r.error().type()).isEqualTo("MemoryError");
        assertThat(r.error().message()).contains(message).contains("refused");
        // The guest sees its own line, not the guard's frames.
        assertThat(r.error().traceback()).doesNotContain("_guard");
    }

    @Test
    void aSubclassThatDefinesItsOwnProductKeepsItAndSmallRepeatsOfSubclassesWork() {
        ExecutionResult r = run("""
                import collections
                class V(list):
                    def __mul__(self, n): return V(x * n for x in self)
                class L(list): pass
                d = collections.deque([1, 2]); d *= 2
                print(V([1, 2]) * 10**9, L([1]) * 3, list(d), collections.deque('ab') * 2)
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("[1000000000, 2000000000] [1, 1, 1] [1, 2, 1, 2] deque(['a', 'b', 'a', 'b'])\n");
    }

    @Test
    void integerTextConversionsKeepABound() {
        ExecutionResult r = run("""
                import sys
                for n in (0, 10**6):
                    try:
                        sys.set_int_max_str_digits(n)
                    except ValueError as e:
                        print('refused', n)
                sys.set_int_max_str_digits(5000)
                print(sys.get_int_max_str_digits())
                try:
                    str(10 ** 6000)
                except ValueError:
                    print('too many digits')
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("refused 0\nrefused 1000000\n5000\ntoo many digits\n");
    }

    @Test
    void formattingJoiningAndReplacingBehaveAsInCPython() {
        ExecutionResult r = run("""
                import math, os.path, operator
                def f(x, fmt):
                    return fmt % x, x % 3, 7.5 % 2
                w = 5
                print('%d items, %s %.2f %5s|%-4d|' % (3, 'x', 2.5, 'ab', 7), b'%03d' % 5, '%*d' % (4, 1))
                print(f(10, '<%d>'), f'{3.14159:.2f}|{"a":>{w}}|{7!r:>3}|{"q"!r}', format(255, 'x'), format(3.5))
                print('{0:>5}|{1:{w}}|{0}'.format('a', 'b', w=w), '{x}'.format_map({'x': 1}), '{}'.format(2))
                print('-'.join(['a', 'b']), b','.join([b'x', b'y']), ''.join(c for c in 'abc'), os.path.join('a', 'b'))
                print('aXbX'.replace('X', '-'), 'aXbX'.replace('X', '--', 1), 'a\\tb'.expandtabs(4), (1).to_bytes(2, 'big'))
                print(math.prod([2, 3, 4]), math.prod([]), math.prod(range(1, 6), start=2), operator.mod(7, 3))
                print((7).__pow__(2), [0].__mul__(3), str.__mul__('ab', 2), (5).__format__('03d'), (3).__rmul__(2))
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                3 items, x 2.50    ab|7   | b'005'    1
                ('<10>', 1, 1.5) 3.14|    a|  7|'q' ff 3.5
                    a|b    |a 1 2
                a-b b'x,y' abc a/b
                a-b- a--bX a   b b'\\x00\\x01'
                24 1 240 1
                49 [0, 0, 0] abab 005 6
                """);
    }

    @Test
    void theRefusalIsAnOrdinaryMemoryErrorTheGuestCanCatch() {
        ExecutionResult r = run("try:\n    [0] * 10**9\nexcept MemoryError as e:\n    print('caught', type(e).__name__)");
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("caught MemoryError\n");
    }

    @Test
    void ordinaryOperationsBehaveAsInCPython() {
        String code = """
                class V:
                    def __init__(self, x): self.x = x
                    def __mul__(self, o): return V(self.x * o)
                    __rmul__ = __mul__
                    def __pow__(self, o): return V(self.x ** o)
                    def __lshift__(self, o): return V(self.x << o)
                v = V(3)
                v *= 2
                d = {'k': 5}
                d['k'] *= 3
                k = 'k'
                d[k] **= 2
                x = 1
                x <<= 4
                print(3 * 4, 2 ** 10, 1 << 70, 2.5 * 2, 2 ** -1, (-2) ** 0.5 == (-2) ** 0.5, 7 * True)
                print([1] * 3, 'ab' * 2, (1,) * 2, b'x' * 3, 3 * [0], 'x' * -1, [] * 10**9)
                print((v * 5).x, (2 * v).x, (v ** 2).x, (v << 1).x, v.x, d, x)
                print(sorted([3, 1, 2], reverse=True), sorted('bca', key=str.upper), list(range(5)), tuple('ab'))
                print(pow(2, 100), pow(2, 100, 7), pow(2.0, 3), sum(range(10**12)), len(bytes(10)), 'x'.ljust(3) + '|')
                print(2 ** 1000 % 1000, (10 ** 300) * (10 ** 300) == 10 ** 600, [*range(3)], {*'ab'} == {'a', 'b'})
                import itertools
                print(list(itertools.cycle('')), list(itertools.cycle([])), tuple(itertools.cycle(iter(()))))
                def f():
                    y = 6
                    exec('z = y * 7\\nprint(z)')
                    return eval('y * 2')
                print(f(), eval('2 ** 8'), eval('  3 * 3'))
                try:
                    raise ValueError('kept')
                except ValueError as e:
                    print('handled', e)
                """;
        ExecutionResult r = run(code);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                12 1024 1180591620717411303424 5.0 0.5 True 7
                [1, 1, 1] abab (1, 1) b'xxx' [0, 0, 0]  []
                30 12 36 12 6 {'k': 225} 16
                [3, 2, 1] ['a', 'b', 'c'] [0, 1, 2, 3, 4] ('a', 'b')
                1267650600228229401496703205376 2 8.0 499999999999500000000000 10 x  |
                376 True [0, 1, 2] True
                [] [] ()
                42
                12 256 9
                handled kept
                """);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"len([0] * N())", "len(N() * 'ab') // 2", "len(operator.mul([0], N()))", "len(bytes(N()))",
            "len((lambda: [0] * N())())", "len(bytearray(N()))", "len(bytes(M()))", "len(bytearray(M()))",
            "len('x'.ljust(N()))", "len('x'.zfill(M()))"})
    void aCountFromIndexIsReadOnceSoItCannotGrowAfterTheCheck(String expression) {
        // A check that read __index__ and left the operation to read it again would let 10**9 through.
        ExecutionResult r = run(INDEX_GROWS + "import operator\nprint(" + expression + ", N.reads)");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("1 1\n");
    }

    @Test
    void productsInFunctionsKeepTheirMeaningOnTheFastPath() {
        // In a function, a product whose operand is exactly a float is computed without a call: the operands
        // are each evaluated once and in order, in-place repeats stay in place, and nothing is left behind.
        String code = """
                order = []
                def a(): order.append('a'); return 2.0
                def b(): order.append('b'); return 3
                class Counted(float):
                    pass
                def f():
                    l = [1]; m = l; l *= 3
                    x = 2.5; x *= 2; y = 3; y *= 1.5
                    t = (1, 2); t *= 2
                    s = sum(i * 0.5 for i in range(4))
                    c = [i * j for i in range(3) for j in range(2)]
                    k = Counted(1.5) * 2
                    return l is m, l, x, y, t, a() * b(), s, c, k, type(k).__name__, 2 * 'ab', 1.5 * 2
                print(f(), order)
                class K:
                    v = 3 * len('ab')
                    def m(self, q=2 * len('x')):
                        return q * q * 0.5
                print(K().m(), K.v, sorted(n for n in vars(K) if not n.startswith('__')))
                def g(v):
                    return [w * 2 for w in v], v * 2
                print(g([1.5, 2]), g('ab')[1])
                """;
        ExecutionResult r = run(code);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                (True, [1, 1, 1], 5.0, 4.5, (1, 2, 1, 2), 6.0, 3.0, [0, 0, 0, 1, 0, 2], 3.0, 'float', 'abab', 3.0) ['a', 'b']
                2.0 6 ['m', 'v']
                ([3.0, 4], [1.5, 2, 1.5, 2]) abab
                """);
    }

    @Test
    void theFastPathIsNeverPlacedWherePythonRefusesAnAssignmentExpression() {
        // A lambda in a comprehension's iterable, a comprehension in a class body, annotations: the inline
        // form binds locals, which Python refuses there, so these keep the call.
        String code = """
                def f(xs, a, b):
                    r1 = [x for x in (lambda: [a * b])()]
                    r2 = [[x * y for y in xs] for x in xs]
                    class C:
                        v = [a * b for _ in range(1)]
                        w = [(lambda: a * b)() for _ in range(2)]
                    match a:
                        case _ if a * b > 0:
                            r3 = 'pos'
                    return r1, r2, C.v, C.w, r3
                def h(a: (lambda: 2 * len('x'))() = 3, *, k=[1] * 2) -> (lambda q: q * 2)(3):
                    return [y for y in (lambda: [a * 1.5])()], k
                print(f([1.5, 2], 2.0, 3), h())
                """;
        ExecutionResult r = run(code);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("([6.0], [[2.25, 3.0], [3.0, 4]], [6.0], [6.0, 6.0], 'pos') ([4.5], [1, 1])\n");
    }

    @Test
    void integersUpToTheLimitAreComputed() {
        // 2**20 bits is the largest product; just under it is computed as usual.
        ExecutionResult r = run("x = 3 ** 600000\ny = x * 7\nprint(y.bit_length() > 950000, (1 << 100000).bit_length())");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("True 100001\n");
    }

    @Test
    void starredTargetsAndUnpackingStillWork() {
        ExecutionResult r = run("a, *b = range(4)\n[*c] = 'xy'\nfirst, *rest = [1, 2, 3]\nprint(a, b, c, first, rest, *b)");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("0 [1, 2, 3] ['x', 'y'] 1 [2, 3] 1 2 3\n");
    }

    @Test
    void theGuardsNamesAreReserved() {
        for (String code : new String[] {"__cordon_mul__ = lambda a, b: 0", "import builtins\nbuiltins.__cordon_sized__ = id",
                "exec('__cordon_pow__ = pow')"}) {
            ExecutionResult r = run(code);
            assertThat(r.status()).as(code).isEqualTo(Status.ERROR);
            assertThat(r.error().type()).isEqualTo("SyntaxError");
            assertThat(r.error().message()).contains("reserved by the sandbox");
        }
    }

    @Test
    void syntaxErrorsAreReportedAsBefore() {
        ExecutionResult r = run("x = [1] * 2\nprint(x\n");
        assertThat(r.status()).isEqualTo(Status.ERROR);
        assertThat(r.error().type()).isEqualTo("SyntaxError");
        assertThat(r.error().traceback()).doesNotContain("_guard").doesNotContain("cordon");
    }

    @Test
    void aGuestThatTamperedWithItsCompilerCannotChangeAnotherCallsCode() {
        // A session keeps its context, so its second call runs after the first replaced the guard's compile;
        // that call must not put code into the cache every fresh context reads.
        String victim = "print('victim', 6 * 7)";
        try (Cordon cordon = Cordon.builder().defaultLimits(LIMITS).build();
             Session s = cordon.session("mallory", Grants.none())) {
            ExecutionResult tamper = s.run(Execution.builder().principal("mallory").code("""
                    from _cordon_graalpy import guard as _guard
                    real = _guard.compile_guarded
                    _guard.compile_guarded = lambda src, *a, **k: real("print('pwned')", *a[:1])
                    from _cordon_graalpy import guarded_text as _guarded_text
                    _guarded_text.write = lambda *a: "print('pwned')"
                    """).build());
            assertThat(tamper.status()).as(tamper.toString()).isEqualTo(Status.OK);
            ExecutionResult own = s.run(Execution.builder().principal("mallory").code(victim).build());
            assertThat(own.stdout()).isEqualTo("pwned\n");
            ExecutionResult other = cordon.run(Execution.builder().principal("alice").code(victim).build());
            assertThat(other.stdout()).isEqualTo("victim 42\n");
        }
    }

    @Test
    void theGuardAndTheBootAreModulesOfTheirOwnLoadedFromSharedCodeAndLeaveNoHookBehind() {
        // GraalPyRuntime loads them (and operator) from cached host sources (one code for every context), not by import.
        ExecutionResult r = run("""
                import builtins, sys, cordon
                import _cordon_graalpy
                from _cordon_graalpy import guard as _guard, boot as _boot
                assert sys.modules['_cordon_graalpy.guard'] is _guard is _cordon_graalpy.guard
                assert sys.modules['_cordon_graalpy.boot'] is _boot
                assert _guard.__file__ == '/usr/lib/cordon/_cordon_graalpy/guard.py', _guard.__file__
                from cordon import _world, _describe
                assert sys.modules['cordon._world'] is _world is cordon._world and _describe.describe.__module__ == 'cordon._describe'
                assert _guard.mul.__globals__ is vars(_guard) and _boot.install.__globals__ is vars(_boot)
                assert _guard.install.__code__.co_firstlineno > 1
                # operator too, from the language home's file (GraalPy would unmarshal a frozen copy per context).
                import operator, importlib.util
                assert sys.modules['operator'] is operator and operator.__package__ == ''
                assert operator.__file__ == operator.__spec__.origin == '/usr/lib/graalpy/lib/python3.12/operator.py'
                assert operator.itemgetter.__module__ == 'operator' and operator.itemgetter(1)('ab') == 'b'
                assert importlib.util.find_spec('operator').name == 'operator'
                hooks = [n for n in dir(builtins) if n in ('__cordon_code__', '__cordon_load_shared__')]
                assert not hooks, hooks
                assert sorted(n for n in globals() if n.startswith('__cordon')) == [], list(globals())
                print(6 * 7)
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("42\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu.recursion-retry", "cpu.recursion-retry-if", "cpu.recursion-retry-bare"})
    void aHandlerThatCatchesEverythingIsStillStoppedAtTheDeadline(String program) throws InterruptedException {
        // A recursion that catches the RecursionError GraalPy's cancellation provokes, and recurses again; its
        // handler begins with a simple statement, with an if, or is a bare except whose body begins with a for.
        String code = HostilePrograms.named(program).code();
        ExecutionResult r = SharedCordon.get().run(Execution.builder().code(code)
                .limits(SharedCordon.LIMITS.toBuilder().wallTime(java.time.Duration.ofSeconds(2)).build()).build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.TIMEOUT);
        // Not only the caller's result: the guest's thread itself ends (without the check it ran for minutes). In
        // worker processes, idle also means the killed worker's replacement is up, a JVM start (CI: over 10 s).
        assertThat(SharedCordon.get().awaitIdle(java.time.Duration.ofSeconds(60))).isTrue();
        assertThat(SharedCordon.get().activeGuestThreads()).isZero();
    }

    /**
     * A handler at the bottom of a full stack that calls into the host (a file opened through the virtual
     * filesystem). Where the host's own stack overflows in that call, GraalPy cannot raise its RecursionError
     * there; the call ends with the guest's RecursionError all the same. Where the guest's RecursionError comes
     * first (another depth, as in worker processes), a shallower handler opens the file and the program prints
     * True, as on CPython. It was MEMORY_LIMIT ("the host ran out of memory") or, in a new JVM, SystemError.
     */
    @Test
    void aHandlerAtTheBottomOfAFullStackThatCallsTheHostEndsInRecursionErrorOrRuns() {
        ExecutionResult r = SharedCordon.get().run(Execution.builder().grant("fs.tmp").code("""
                def f(n):
                    try:
                        return f(n + 1)
                    except RecursionError:
                        open('/tmp/deep', 'w').close()
                        return n
                print(f(0) > 100)
                """).limits(SharedCordon.LIMITS.toBuilder().wallTime(java.time.Duration.ofSeconds(30)).build()).build());
        if (r.status() == Status.OK) {
            assertThat(r.stdout()).isEqualTo("True\n");
        } else {
            assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.ERROR);
            assertThat(r.error().type()).as("%s", r.error()).isEqualTo("RecursionError");
        }
    }

    /**
     * The deadline check reads the host's clock: importing time would bring GraalPy's _polyglot_time and
     * polyglot into every context, whose code each context compiles anew. A guest that imports time gets it.
     */
    @Test
    void theGuardReadsTheHostsClockSoAFreshContextHasNotImportedTime() {
        ExecutionResult r = run("import sys\nprint(sorted(m for m in ('time', '_polyglot_time', 'polyglot') if m in sys.modules))\n"
                + "import time\nprint(time.monotonic() > 0)");
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("[]\nTrue\n");
    }

    private static ExecutionResult run(String code) {
        return SharedCordon.get().run(Execution.builder().code(code).limits(LIMITS).build());
    }
}
