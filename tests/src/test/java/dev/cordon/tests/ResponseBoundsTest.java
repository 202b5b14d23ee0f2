package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.json.ResultJson;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing a guest sends makes the host hold more than the call's response budget: audit events with huge
 * strings, huge exceptions, a result the guest's own json module forged. Each answer's JSON form stays within
 * the budget plus the output limits, whatever the guest tried.
 */
class ResponseBoundsTest {

    private static final long BUDGET = 256 << 10;
    private static final Limits LIMITS = Limits.builder().wallTime(java.time.Duration.ofSeconds(60))
            .outputBytes(64 << 10).responseBytes(BUDGET).build();

    private static ExecutionResult run(String code, String... grants) {
        return SharedCordon.get().run(Execution.builder().code(code).grant(grants).limits(LIMITS).build());
    }

    /** The whole answer as the CLI and the service send it, bounded by the budget and the two streams. */
    private static void assertBounded(ExecutionResult r) {
        long json = ResultJson.toJson(r).getBytes(StandardCharsets.UTF_8).length;
        assertThat(json).as("answer of %s", r.status()).isLessThanOrEqualTo(BUDGET + 2 * (64 << 10) + (16 << 10));
    }

    @Test
    void aFloodOfDenialsWithHugeStringsKeepsCutEventsWithinTheBudget() {
        ExecutionResult r = run("""
                import cordon
                b = cordon._bridge
                s = 'D' * 2**20
                for i in range(1000):
                    b.deny(s, s, s)
                print('done')
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("done\n");
        assertThat(r.events()).hasSizeBetween(2, 200);
        assertThat(r.events().get(0).target()).hasSizeLessThan(ResponseBudget.MAX_FIELD_CHARS + 40).contains("more characters cut");
        AuditEvent last = r.events().get(r.events().size() - 1);
        assertThat(last.category()).isEqualTo("limit");
        assertThat(last.detail()).contains("more events were not kept");
        assertBounded(r);
    }

    @Test
    void overLongServiceNamesAndPathsAreCutToo() {
        ExecutionResult gateway = run("""
                from cordon import gateway
                for i in range(1200):
                    try:
                        gateway.connect('S' * 100000)
                    except PermissionError:
                        pass
                """);
        assertThat(gateway.status()).as("%s", gateway.error()).isEqualTo(Status.OK);
        assertBounded(gateway);
        ExecutionResult paths = run("""
                for i in range(1200):
                    try:
                        open('/usr/lib/graalpy/' + 'p' * 4000 + str(i), 'w')
                    except OSError:
                        pass
                """);
        assertThat(paths.status()).as("%s", paths.error()).isEqualTo(Status.OK);
        assertThat(paths.events()).anySatisfy(e -> assertThat(e.category()).isEqualTo("fs"));
        assertBounded(paths);
    }

    @Test
    void aHugeExceptionIsCutAndMarkedBothInItsMessageAndItsTraceback() {
        ExecutionResult r = run("raise ValueError('m' * (50 * 2**20))");
        assertThat(r.status()).isEqualTo(Status.ERROR);
        assertThat(r.error().type()).isEqualTo("ValueError");
        assertThat(r.error().message()).startsWith("mmmm").contains("characters cut");
        assertThat(r.error().traceback()).contains("ValueError: mmmm");
        assertBounded(r);
    }

    @Test
    void aResultTheGuestsJsonForgedIsCheckedOnTheHost() {
        ExecutionResult r = run("""
                import cordon
                codec = cordon._json()
                codec.dumps = lambda *a, **k: '1e999'
                try:
                    cordon.result(0)
                except ValueError as e:
                    print('refused:', e)
                codec.dumps = lambda *a, **k: '[1, NaN]'
                try:
                    cordon.result(0)
                except ValueError as e:
                    print('refused:', e)
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("refused: result holds a number that is not finite (NaN and infinities are not JSON)\n"
                + "refused: result is not valid JSON\n");
        assertThat(r.value()).isNull();
    }

    @Test
    void aResultLargerThanTheBudgetIsRefusedInTheGuestAndASmallerOneReplacesIt() {
        ExecutionResult r = run("""
                import cordon
                cordon.result('x' * 100)
                try:
                    cordon.result('y' * (300 * 1024))
                except ValueError as e:
                    print(str(e).startswith("result is larger than what remains of the call's response budget"))
                cordon.result('z' * (200 * 1024))
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("True\n");
        assertThat((String) r.value()).hasSize(200 * 1024).startsWith("zzz");
    }
}
