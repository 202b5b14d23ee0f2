package dev.cordon;

import dev.cordon.capabilities.AuditEvent;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CordonTest {

    private final Cordon cordon = SharedCordon.get();

    @Test
    void runsCodeAndCapturesStdout() {
        ExecutionResult r = SharedCordon.run("print(1 + 1)");
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("2\n");
        assertThat(r.stderr()).isEmpty();
        assertThat(r.error()).isNull();
        assertThat(r.usage().wallMillis()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void reportsWhetherGuestCodeIsJitCompiledAsThisJvmsSetUpSays() {
        // Surefire here starts no Graal compiler, so this is the interpreter's side; examples/consumer's test,
        // run by CI with the JIT set-up, asserts the other.
        assertThat(cordon.jitCompiled()).isEqualTo(dev.cordon.engine.graalpy.GraalPyEngine.compilerConfigured());
    }

    @Test
    void capturesStderrSeparately() {
        ExecutionResult r = SharedCordon.run("import sys\nsys.stderr.write('oops\\n')\nprint('fine')");
        assertThat(r.stdout()).isEqualTo("fine\n");
        assertThat(r.stderr()).isEqualTo("oops\n");
    }

    @Test
    void paramsAndResultCrossAsJson() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("import cordon\np = cordon.params\ncordon.result({'sum': p['a'] + p['b'], 'who': p['who'], 'list': p['l'][::-1]})")
                .param("a", 2).param("b", 40).param("who", "zoë").param("l", List.of(1, "x", true))
                .build());
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.value()).isEqualTo(Map.of("sum", 42, "who", "zoë", "list", List.of(true, "x", 1)));
    }

    /**
     * The cordon package's JSON is the interpreter's own {@code _json} scanner and encoder: reading the parameters,
     * setting a result and importing the gateway import neither {@code json} nor {@code re} (0.2 to 0.6 s of a
     * fresh context), and give what the json module gives, errors included.
     */
    @Test
    void paramsResultAndGatewayNeedNeitherTheJsonModuleNorRe() {
        ExecutionResult r = cordon.run(Execution.builder().code("""
                import sys, cordon
                from cordon import gateway
                p = cordon.params
                cordon.result({'p': p, 'n': [10**30, -0.0, 1.5e300, None, True], 'é': 'ü\\u2603\\n', '1': {}})
                print('json' in sys.modules, 're' in sys.modules)
                codec = cordon._json()
                values = [{'a': [1, 2.5, 'é', None, True, False]}, 'quote " back \\\\ tab \\t', [], {}, 0, -1, 1e-7,
                          {2: 'int key', None: 'none key', 1.5: 'float key', True: 'bool key'}]
                import json
                for v in values:
                    for ascii in (True, False):
                        assert codec.dumps(v, ensure_ascii=ascii) == json.dumps(v, ensure_ascii=ascii), v
                    assert codec.loads(codec.dumps(v)) == json.loads(json.dumps(v)), v
                assert codec.loads(' [1, {"x": "\\\\u00e9"}] \\n') == [1, {'x': 'é'}]
                for bad in [{1, 2}, float('nan'), object(), {(1,): 2}]:
                    try:
                        codec.dumps(bad, allow_nan=False)
                        print('dumped', bad)
                    except (TypeError, ValueError) as e:
                        try:
                            json.dumps(bad, allow_nan=False)
                        except type(e) as f:
                            assert str(e) == str(f), (e, f)
                cycle = []
                cycle.append(cycle)
                try:
                    codec.dumps(cycle)
                except ValueError as e:
                    print(e)
                for bad in ['', '[1,', '1 2', 'nul']:
                    try:
                        codec.loads(bad)
                        print('loaded', bad)
                    except ValueError:
                        pass
                """).param("who", "zoë").param("deep", Map.of("l", List.of(1, 2.5, "x"))).build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("False False\nCircular reference detected\n");
        assertThat(r.value()).isEqualTo(Map.of("p", Map.of("who", "zoë", "deep", Map.of("l", List.of(1, 2.5, "x"))),
                "n", java.util.Arrays.asList(new java.math.BigInteger("1000000000000000000000000000000"), -0.0, 1.5e300,
                        null, true), "é", "ü\u2603\n", "1", Map.of()));
    }

    @Test
    void paramsAreEmptyWhenNoneAreGiven() {
        assertThat(SharedCordon.run("import cordon\ncordon.result(cordon.params)").value()).isEqualTo(Map.of());
    }

    @Test
    void aResultThatIsNotJsonRaisesInTheGuest() {
        ExecutionResult r = SharedCordon.run("import cordon\ncordon.result({1, 2})");
        assertThat(r.status()).isEqualTo(Status.ERROR);
        assertThat(r.error().type()).isEqualTo("TypeError");
        assertThat(r.value()).isNull();
    }

    @Test
    void aResultLargerThanTheResponseBudgetIsRefused() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("import cordon\ntry:\n    cordon.result('x' * 5000)\nexcept ValueError as e:\n    print(e)")
                .limits(SharedCordon.LIMITS.toBuilder().responseBytes(1000).build()).build());
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.stdout()).contains("larger than what remains of the call's response budget");
        assertThat(r.value()).isNull();
    }

    @Test
    void stdinIsTheCallers() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("import sys\nprint(sys.stdin.read().upper())").stdin("abc").build());
        assertThat(r.stdout()).isEqualTo("ABC\n");
    }

    @Test
    void anUncaughtExceptionIsAnErrorWithPythonsTraceback() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("def f(x):\n    return 10 / x\n\nf(0)\n", "calc.py").build());
        assertThat(r.status()).isEqualTo(Status.ERROR);
        assertThat(r.error().type()).isEqualTo("ZeroDivisionError");
        assertThat(r.error().message()).isEqualTo("division by zero");
        assertThat(r.error().traceback()).isEqualTo("""
                Traceback (most recent call last):
                  File "calc.py", line 4, in <module>
                    f(0)
                  File "calc.py", line 2, in f
                    return 10 / x
                           ~~~^~~
                ZeroDivisionError: division by zero
                """);
    }

    @Test
    void userDefinedExceptionsKeepTheirNames() {
        ExecutionResult r = SharedCordon.run("import json\nclass Bad(Exception):\n    pass\nraise Bad('no')");
        assertThat(r.error().type()).isEqualTo("Bad");
        assertThat(r.error().message()).isEqualTo("no");
        ExecutionResult json = SharedCordon.run("import json\njson.loads('{')");
        assertThat(json.error().type()).isEqualTo("json.decoder.JSONDecodeError");
    }

    @Test
    void syntaxErrorsAreGuestErrors() {
        ExecutionResult r = SharedCordon.run("def (:");
        assertThat(r.status()).isEqualTo(Status.ERROR);
        assertThat(r.error().type()).isEqualTo("SyntaxError");
    }

    @Test
    void exitStatusDecidesOkOrError() {
        assertThat(SharedCordon.run("import sys\nprint('bye')\nsys.exit(0)").status()).isEqualTo(Status.OK);
        ExecutionResult r = SharedCordon.run("import sys\nsys.exit(3)");
        assertThat(r.status()).isEqualTo(Status.ERROR);
        assertThat(r.error().type()).isEqualTo("SystemExit");
        assertThat(r.error().message()).isEqualTo("3");
    }

    @Test
    void outputIsDecodedAsUtf8WithReplacement() {
        ExecutionResult r = SharedCordon.run("import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe \\xc3\\xa9')\nsys.stdout.flush()");
        assertThat(r.stdout()).isEqualTo("ok \uFFFD\uFFFD é");
    }

    @Test
    void outputPastTheLimitIsTruncatedAndEndsTheRun() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("while True:\n    try:\n        print('x' * 100)\n    except BaseException:\n        pass")
                .limits(SharedCordon.LIMITS.toBuilder().outputBytes(10_000).build()).build());
        assertThat(r.status()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stdout()).hasSize(10_000);
        assertThat(r.usage().stdoutBytes()).isGreaterThan(10_000);
        assertThat(r.error().type()).isEqualTo("OutputLimitExceeded");
        assertThat(SharedCordon.run("print('next')").stdout()).isEqualTo("next\n");
    }

    @Test
    void oneHugeWriteIsCutAtTheLimit() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("import sys\nsys.stderr.write('e' * 10**7)")
                .limits(SharedCordon.LIMITS.toBuilder().outputBytes(4096).build()).build());
        assertThat(r.status()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat(r.stderrTruncated()).isTrue();
        assertThat(r.stderr()).hasSize(4096);
    }

    @Test
    void theWallTimeLimitStopsALoop() {
        ExecutionResult r = cordon.run(Execution.builder().code("while True:\n    pass")
                .limits(SharedCordon.LIMITS.toBuilder().wallTime(java.time.Duration.ofMillis(500)).build())
                .build());
        assertThat(r.status()).isEqualTo(Status.TIMEOUT);
        assertThat(r.error().type()).isEqualTo("TimeoutError");
        assertThat(r.error().message()).contains("500ms");
        assertThat(r.usage().wallMillis()).isBetween(500L, 500L + 1_500L);
        assertThat(SharedCordon.run("print('alive')").stdout()).isEqualTo("alive\n");
    }

    @Test
    void theCpuLimitStopsALoopThatSwallowsExceptions() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("while True:\n    try:\n        x = sum(range(1000))\n    except BaseException:\n        pass")
                .limits(SharedCordon.LIMITS.toBuilder().cpuTime(java.time.Duration.ofMillis(300)).build())
                .build());
        assertThat(r.status()).isEqualTo(Status.CPU_LIMIT);
        assertThat(r.usage().cpuMillis()).isGreaterThanOrEqualTo(300);
    }

    @Test
    void theMemoryLimitStopsAnAllocationLoop() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("l = []\nwhile True:\n    l.append('x' * 100000)")
                .limits(SharedCordon.LIMITS.toBuilder().memoryBytes(64L << 20).build()).build());
        assertThat(r.status()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(r.usage().allocatedBytes()).isGreaterThanOrEqualTo(64L << 20);
    }

    @Test
    void garbageDoesNotCountAgainstTheMemoryLimit() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("def forever():\n    while True:\n        yield bytearray(10**6)\nfor _ in forever():\n    pass")
                .limits(SharedCordon.LIMITS.toBuilder().wallTime(java.time.Duration.ofSeconds(2))
                        .memoryBytes(64L << 20).build()).build());
        assertThat(r.status()).isEqualTo(Status.TIMEOUT);
        assertThat(r.usage().allocatedBytes()).isGreaterThan(4 * (64L << 20));
    }

    @Test
    void memoryKeptWithoutFurtherAllocationIsFound() {
        ExecutionResult r = cordon.run(Execution.builder()
                .code("kept = [bytearray(2**20) for _ in range(256)]\nwhile True:\n    pass")
                .limits(SharedCordon.LIMITS.toBuilder().wallTime(java.time.Duration.ofSeconds(5))
                        .memoryBytes(64L << 20).build()).build());
        assertThat(r.status()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(r.error().message()).contains("kept alive after a collection");
        assertThat(r.usage().wallMillis()).isLessThan(3_000);
    }

    @Test
    void unknownCapabilitiesAndUndeclaredMountsAreHostMistakes() {
        assertThatThrownBy(() -> Execution.builder().code("1").grant("fs.everything"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown capability");
        assertThatThrownBy(() -> cordon.run(Execution.builder().code("1").grant("fs.read:/nope").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no mount");
        assertThatThrownBy(() -> Execution.builder().code("1").param("x", new Object()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void denialsAreRecordedAsAuditEvents() {
        ExecutionResult r = SharedCordon.run("import os\ntry:\n    os.system('id')\nexcept PermissionError:\n    print('refused')");
        assertThat(r.stdout()).isEqualTo("refused\n");
        assertThat(r.events()).anySatisfy(e -> {
            assertThat(e.category()).isEqualTo("process");
            assertThat(e.action()).isEqualTo("system");
            assertThat(e.outcome()).isEqualTo(AuditEvent.Outcome.DENIED);
        });
    }

    @Test
    void everyCallGetsAFreshContext() {
        SharedCordon.run("import builtins\nbuiltins.len = lambda x: 42\nsecret = 'alice'");
        ExecutionResult r = SharedCordon.run("print(len([1]), 'secret' in globals())");
        assertThat(r.stdout()).isEqualTo("1 False\n");
    }

    @Test
    void callsBeyondTheQueueAreRejected() throws Exception {
        // The busy call holds the only slot while its guest waits for stdin, which the test holds back.
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.io.InputStream held = new java.io.InputStream() {
            @Override
            public int read() throws java.io.IOException {
                return read(new byte[1], 0, 1);
            }

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                reading.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return -1;
            }
        };
        try (Cordon small = Cordon.builder().maxConcurrentRuns(1).maxQueuedRuns(0).build()) {
            java.util.concurrent.CompletableFuture<ExecutionResult> busy = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> small.run(Execution.builder().code("import sys\nprint(len(sys.stdin.read()))")
                            .stdin(held).build()));
            assertThat(reading.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            ExecutionResult r = small.run(Execution.builder().code("print(1)").build());
            assertThat(r.status()).isEqualTo(Status.REJECTED);
            assertThat(r.error().message()).isEqualTo("too many calls at once: 1 running and 0 waiting");
            release.countDown();
            assertThat(busy.get(60, java.util.concurrent.TimeUnit.SECONDS).stdout()).isEqualTo("0\n");
            assertThat(small.awaitIdle(java.time.Duration.ofSeconds(30))).isTrue();
            assertThat(small.run(Execution.builder().code("print(1)").build()).status()).isEqualTo(Status.OK);
        }
    }

    @Test
    void aClosedCordonRejects() {
        Cordon c = Cordon.builder().build();
        c.close();
        assertThat(c.run(Execution.builder().code("1").build()).status()).isEqualTo(Status.REJECTED);
    }

    @Test
    void aSessionKeepsStateBetweenCallsAndStartsAgainAfterALimit() {
        try (Session s = cordon.session("alice", dev.cordon.capabilities.Grants.none())) {
            s.run(Execution.builder().code("counter = 41").principal("alice").build());
            ExecutionResult r = s.run(Execution.builder().code("counter += 1\nprint(counter)").principal("alice").build());
            assertThat(r.stdout()).isEqualTo("42\n");
            ExecutionResult echo = s.runInteractive(Execution.builder().code("counter * 2\n", "<stdin>")
                    .principal("alice").build());
            assertThat(echo.stdout()).isEqualTo("84\n");
            ExecutionResult loop = s.run(Execution.builder().code("while True: pass").principal("alice")
                    .limits(Limits.builder().wallTime(java.time.Duration.ofMillis(300)).build()).build());
            assertThat(loop.status()).isEqualTo(Status.TIMEOUT);
            ExecutionResult after = s.run(Execution.builder().code("print('counter' in globals())")
                    .principal("alice").build());
            assertThat(after.stdout()).isEqualTo("False\n");
            assertThatThrownBy(() -> s.run(Execution.builder().code("1").principal("bob").build()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aFileDenialInsideASessionReachesThatRunsEventsAndNoOther() {
        String attempt = "try:\n    open('/usr/lib/graalpy/%s', 'w')\nexcept PermissionError:\n    print('refused')";
        try (Session s = cordon.session("alice", dev.cordon.capabilities.Grants.none())) {
            ExecutionResult first = s.run(Execution.builder().code(attempt.formatted("first")).principal("alice").build());
            assertThat(first.stdout()).isEqualTo("refused\n");
            assertThat(first.events()).filteredOn(e -> e.category().equals("fs"))
                    .singleElement().satisfies(e -> {
                        assertThat(e.outcome()).isEqualTo(AuditEvent.Outcome.DENIED);
                        assertThat(e.target()).isEqualTo("/usr/lib/graalpy/first");
                    });
            ExecutionResult quiet = s.run(Execution.builder().code("print('nothing')").principal("alice").build());
            assertThat(quiet.events()).noneMatch(e -> e.category().equals("fs"));
            ExecutionResult second = s.run(Execution.builder().code(attempt.formatted("second")).principal("alice").build());
            assertThat(second.events()).filteredOn(e -> e.category().equals("fs"))
                    .singleElement().satisfies(e -> assertThat(e.target()).isEqualTo("/usr/lib/graalpy/second"));
        }
    }

    @Test
    void eachRunOfASessionSeesItsOwnParameters() {
        try (Session s = cordon.session("alice", dev.cordon.capabilities.Grants.none())) {
            String code = "import cordon\nprint(cordon.params)\ncordon.params['seen'] = True";
            assertThat(s.run(Execution.builder().code(code).principal("alice").param("n", 1).build()).stdout())
                    .isEqualTo("{'n': 1}\n");
            assertThat(s.run(Execution.builder().code(code).principal("alice").param("n", 2).build()).stdout())
                    .isEqualTo("{'n': 2}\n");
            assertThat(s.run(Execution.builder().code(code).principal("alice").build()).stdout())
                    .isEqualTo("{}\n");
        }
    }

    @Test
    void aSessionRunsTheSameProgramAsTheSameCodeSoWhatWasCompiledForItIsReused() {
        // "2 * n" makes the programs go through the guard's marshalled form; the code object of the first
        // run is the one the second run executes, and another program never gets it.
        String same = "import sys\nn = 21\nhere = sys._getframe().f_code\nprint(2 * n, here is globals().get('seen'))\nseen = here";
        String other = "print(3 * 7, sys._getframe().f_code is seen)";
        try (Session s = cordon.session("alice", dev.cordon.capabilities.Grants.none())) {
            assertThat(s.run(Execution.builder().code(same).principal("alice").build()).stdout()).isEqualTo("42 False\n");
            assertThat(s.run(Execution.builder().code(same).principal("alice").build()).stdout()).isEqualTo("42 True\n");
            assertThat(s.run(Execution.builder().code(other).principal("alice").build()).stdout()).isEqualTo("21 False\n");
            assertThat(s.run(Execution.builder().code(same).principal("alice").build()).stdout()).isEqualTo("42 True\n");
        }
    }

    @Test
    void sessionsKnowIncompleteInput() {
        try (Session s = cordon.session("alice", dev.cordon.capabilities.Grants.none())) {
            assertThat(s.isIncomplete("for i in range(3):\n")).isTrue();
            assertThat(s.isIncomplete("x = (1,\n")).isTrue();
            assertThat(s.isIncomplete("x = 1\n")).isFalse();
        }
    }
}
