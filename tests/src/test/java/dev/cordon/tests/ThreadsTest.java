package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Guest threads are a per-call limit ({@link Limits#threads}, 0 by default): up to that many run beside the
 * call's own, their CPU time counts in the call's, and none outlives the call.
 */
class ThreadsTest {

    private static ExecutionResult run(String code, Limits limits) {
        return SharedCordon.get().run(Execution.builder().code(code).limits(limits).build());
    }

    private static Limits threads(int n) {
        return SharedCordon.LIMITS.toBuilder().threads(n).build();
    }

    @Test
    void withNoThreadsAllowedStartingOneIsARuntimeErrorNamingTheLimit() {
        ExecutionResult r = run("""
                import threading
                try:
                    threading.Thread(target=print).start()
                except RuntimeError as e:
                    print(e)
                """, SharedCordon.LIMITS);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo(
                "can't start new thread: the call's thread limit is 0 (Limits.threads; cordon run --threads N)\n");
        assertThat(r.events()).anySatisfy(e -> {
            assertThat(e.category()).isEqualTo("thread");
            assertThat(e.action()).isEqualTo("start_new_thread");
        });
    }

    @Test
    void upToTheLimitRunAtOnceAndThreadsThatAreNotDaemonsFinishBeforeTheCallEnds() {
        ExecutionResult r = run("""
                import threading, time, asyncio
                from concurrent.futures import ThreadPoolExecutor
                def square(i):
                    return i * i
                with ThreadPoolExecutor(max_workers=3) as ex:
                    print(sorted(ex.map(square, range(10))))
                gate = threading.Event()
                held = [threading.Thread(target=gate.wait) for _ in range(3)]
                for t in held:
                    t.start()
                try:
                    threading.Thread(target=print).start()
                except RuntimeError as e:
                    print('fourth:', e)
                gate.set()
                for t in held:
                    t.join()
                async def main():
                    return await asyncio.to_thread(square, 7)
                print(asyncio.run(main()))
                def late():
                    time.sleep(0.3)
                    print('the late thread finished')
                threading.Thread(target=late).start()
                print('main done')
                """, threads(3));
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
                fourth: can't start new thread: the call's thread limit of 3 is reached (Limits.threads)
                49
                main done
                the late thread finished
                """);
    }

    @Test
    void aDaemonThreadEndsWithTheCallAndTheNextCallRuns() {
        ExecutionResult r = run("""
                import threading, time
                def forever():
                    while True:
                        time.sleep(0.01)
                threading.Thread(target=forever, daemon=True).start()
                print('left it running')
                """, threads(1));
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("left it running\n");
        assertThat(run("import threading\nprint(threading.active_count())", threads(1)).stdout()).isEqualTo("1\n");
    }

    @Test
    void aThreadsCpuTimeCountsInTheCallsAndALimitEndsThemAll() {
        ExecutionResult cpu = run("""
                import threading
                def spin():
                    while True:
                        pass
                t = threading.Thread(target=spin)
                t.start()
                t.join()
                """, threads(1).toBuilder().cpuTime(Duration.ofSeconds(2)).wallTime(Duration.ofSeconds(60)).build());
        assertThat(cpu.status()).as("%s", cpu.error()).isEqualTo(Status.CPU_LIMIT);
        assertThat(cpu.usage().cpuMillis()).isGreaterThanOrEqualTo(2_000);
        ExecutionResult wall = run("""
                import threading
                def spin():
                    while True:
                        pass
                for _ in range(2):
                    threading.Thread(target=spin, daemon=True).start()
                threading.Event().wait()
                """, threads(2).toBuilder().wallTime(Duration.ofSeconds(3)).cpuTime(Duration.ofSeconds(60)).build());
        assertThat(wall.status()).as("%s", wall.error()).isEqualTo(Status.TIMEOUT);
        assertThat(wall.usage().wallMillis()).isLessThan(3_250);
        assertThat(run("print('next')", SharedCordon.LIMITS).stdout()).isEqualTo("next\n");
    }

    @Test
    void theGuestCannotFreeAPlaceThroughTheBridgeWhileItsThreadRuns() {
        ExecutionResult r = run("""
                import cordon, threading
                b = cordon._bridge
                gate = threading.Event()
                t = threading.Thread(target=gate.wait)
                t.start()
                for _ in range(5):
                    b.threadAbort()
                try:
                    threading.Thread(target=print).start()
                    print('a second thread started')
                except RuntimeError as e:
                    print('refused')
                print(b.threadRun(lambda: print('forged run')))
                gate.set()
                t.join()
                """, threads(1));
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("refused\nno place was held for this thread under the call's thread limit\n");
    }

    @Test
    void theLimitIsBoundedAndReadAsConfigurationWritesIt() {
        assertThat(Limits.builder().parse("threads", "4").build().threads()).isEqualTo(4);
        assertThat(Limits.DEFAULT.threads()).isZero();
        assertThatThrownBy(() -> Limits.builder().threads(Limits.MAX_THREADS + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 to 64");
        assertThatThrownBy(() -> Limits.builder().parse("threads", "many"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole number");
    }
}
