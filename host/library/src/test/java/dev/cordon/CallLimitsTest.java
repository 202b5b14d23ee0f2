package dev.cordon;

import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.vfs.DataDirectory;
import dev.cordon.capabilities.gateway.Gateway;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.Engine;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;
import dev.cordon.governor.FakeTime;
import dev.cordon.governor.Watchdog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The call runner's limits on a clock the test moves and a watchdog whose periods the test runs: a guest that
 * is stopped at its deadline, one that cannot be stopped and is answered after the grace, the heap guard's
 * choice, the output cap and admission control. The guest is a stand-in interpreter that does what each test
 * says; no test sleeps.
 */
class CallLimitsTest {

    private final FakeTime time = new FakeTime();
    private final FakeTime.Heap heap = new FakeTime.Heap();
    private CallRunner runner;

    /** A guest: what one run does, given its spec and a latch that a cancel opens. */
    private interface Guest {
        Outcome run(RunSpec spec, CountDownLatch cancelled) throws Exception;
    }

    /** An engine whose sandboxes run {@code guest}, announcing each run on {@code started}. */
    private static class StandIn implements Engine {
        final Guest guest;
        final CountDownLatch started;

        StandIn(Guest guest, int runs) {
            this.guest = guest;
            this.started = new CountDownLatch(runs);
        }

        @Override
        public VirtualFileSystem.Builder baseFileSystem() {
            return VirtualFileSystem.builder();
        }

        @Override
        public Sandbox open(VirtualFileSystem fileSystem, String cwd) {
            CountDownLatch cancelled = new CountDownLatch(1);
            return new Sandbox() {
                @Override
                public Outcome run(RunSpec spec) {
                    started.countDown();
                    try {
                        return guest.run(spec, cancelled);
                    } catch (Exception e) {
                        return Outcome.internal("StandInError", e.toString());
                    }
                }

                @Override
                public void cancel() {
                    cancelled.countDown();
                }

                @Override
                public boolean usable() {
                    return cancelled.getCount() > 0;
                }

                @Override
                public void close() {
                    cancelled.countDown();
                }
            };
        }

        @Override
        public boolean sessions() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    private static final Duration ABANDON_AFTER = Duration.ofSeconds(60);

    private CallRunner runner(StandIn engine, int slots, Duration grace) {
        GuestPool guests = new GuestPool(slots, 0);
        CallCapabilities capabilities = new CallCapabilities(engine, Map.of(), Gateway.builder().build(),
                Path.of("target", "call-limits-test"), () -> new DataDirectory(Path.of("target", "call-limits-test"), Quota.DEFAULT));
        runner = new CallRunner(engine, capabilities, guests, new Watchdog(time, time), heap, time, time, grace,
                ABANDON_AFTER);
        return runner;
    }

    @AfterEach
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    private static CompletableFuture<ExecutionResult> call(CallRunner runner, Limits limits) {
        Execution e = Execution.builder().code("pass").build();
        return CompletableFuture.supplyAsync(() -> new GuestCall(runner, e, limits, null, false).submit());
    }

    private static Limits wall(Duration d) {
        return Limits.builder().wallTime(d).build();
    }

    /** A guest that runs until it is cancelled, and ends at once when it is. */
    private static final Guest LOOP = (spec, cancelled) -> {
        cancelled.await();
        return Outcome.internal("CancelledError", "the run was cancelled");
    };

    @Test
    void aGuestThatCanBeStoppedEndsAtItsDeadlineWithTimeout() throws Exception {
        StandIn engine = new StandIn(LOOP, 1);
        CallRunner r = runner(engine, 1, Duration.ZERO);
        CompletableFuture<ExecutionResult> result = call(r, wall(Duration.ofSeconds(2)));
        assertThat(engine.started.await(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofMillis(1995));
        time.tick();
        assertThat(result).isNotDone();
        time.advance(Duration.ofMillis(5));
        time.tick();
        ExecutionResult done = result.get(30, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(Status.TIMEOUT);
        assertThat(done.error().type()).isEqualTo("TimeoutError");
        assertThat(done.error().message()).isEqualTo("wall-time limit of 2s reached");
    }

    @Test
    void aGuestThatIgnoresItsCancelIsAnsweredAfterTheGraceAndKeepsItsThreadUntilItEnds() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        StandIn engine = new StandIn((spec, cancelled) -> {
            release.await();
            return Outcome.OK;
        }, 1);
        CallRunner r = runner(engine, 1, Duration.ofMillis(250));
        CompletableFuture<ExecutionResult> result = call(r, wall(Duration.ofSeconds(1)));
        assertThat(engine.started.await(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofSeconds(1));
        time.tick();
        time.advance(Duration.ofMillis(249));
        time.tick();
        assertThat(result).as("answered only after the grace").isNotDone();
        time.advance(Duration.ofMillis(1));
        time.tick();
        assertThat(result.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.TIMEOUT);
        assertThat(r.activeGuestThreads()).as("the thread drains on").isEqualTo(1);
        // Its place is free (its caller has the answer) but its thread is not: the next call waits for it, its
        // wall time running, and ends at its limit if the thread stays busy.
        CompletableFuture<ExecutionResult> next = call(r, wall(Duration.ofSeconds(1)));
        while (r.guests.getQueue().isEmpty()) {
            Thread.onSpinWait();
        }
        time.advance(Duration.ofSeconds(1));
        time.tick();
        assertThat(next.get(30, TimeUnit.SECONDS).error().message()).endsWith("while the call waited for a free run slot");
        release.countDown();
        assertThat(r.guests.awaitIdle(Duration.ofSeconds(30))).isTrue();
    }

    @Test
    void aGuestThreadStillAtWorkLongAfterItsAnswerIsGivenUpAndAnotherTakesItsSlot() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        StandIn engine = new StandIn((spec, cancelled) -> {
            if (runs.incrementAndGet() == 1) {
                release.await(); // stuck where no cancel reaches
            }
            return Outcome.OK;
        }, 1);
        CallRunner r = runner(engine, 1, Duration.ZERO);
        CompletableFuture<ExecutionResult> stuck = call(r, wall(Duration.ofSeconds(1)));
        assertThat(engine.started.await(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofSeconds(1));
        time.tick();
        assertThat(stuck.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.TIMEOUT);

        time.advance(ABANDON_AFTER.minusMillis(5));
        time.tick();
        assertThat(r.activeGuestThreads()).as("kept until abandonAfter has passed").isEqualTo(1);
        assertThat(r.abandonedGuestThreads()).isZero();
        time.advance(Duration.ofMillis(5));
        time.tick();
        assertThat(r.abandonedGuestThreads()).as("given up").isEqualTo(1);
        assertThat(r.activeGuestThreads()).isZero();
        assertThat(r.guests.awaitIdle(Duration.ofSeconds(30))).as("idle without the stuck thread").isTrue();

        // The slot is usable again: the next call runs on a new thread and succeeds.
        ExecutionResult next = call(r, wall(Duration.ofSeconds(1))).get(30, TimeUnit.SECONDS);
        assertThat(next.status()).isEqualTo(Status.OK);
        assertThat(runs.get()).isEqualTo(2);
        // The caller has its answer a moment before the thread that gave it counts itself free.
        assertThat(r.guests.awaitIdle(Duration.ofSeconds(30))).isTrue();

        // When the stuck thread ends after all, it leaves the pool, which is back to its one slot, and is not
        // counted free a second time.
        release.countDown();
        while (r.abandonedGuestThreads() > 0) {
            Thread.onSpinWait();
        }
        assertThat(r.guests.getMaximumPoolSize()).isEqualTo(1);
        assertThat(r.guests.getCorePoolSize()).isEqualTo(1);
        assertThat(r.activeGuestThreads()).isZero();
    }

    @Test
    void atMostAsManyThreadsAsSlotsAreGivenUpAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.Semaphore started = new java.util.concurrent.Semaphore(0);
        StandIn engine = new StandIn((spec, cancelled) -> {
            started.release();
            release.await();
            return Outcome.OK;
        }, 2);
        CallRunner r = runner(engine, 1, Duration.ZERO);
        CompletableFuture<ExecutionResult> first = call(r, wall(Duration.ofSeconds(1)));
        assertThat(started.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofSeconds(1));
        time.tick();
        assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.TIMEOUT);
        time.advance(ABANDON_AFTER);
        time.tick();
        assertThat(r.abandonedGuestThreads()).isEqualTo(1);

        CompletableFuture<ExecutionResult> second = call(r, wall(Duration.ofSeconds(1)));
        assertThat(started.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofSeconds(1));
        time.tick();
        assertThat(second.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.TIMEOUT);
        time.advance(ABANDON_AFTER.multipliedBy(2));
        time.tick();
        assertThat(r.abandonedGuestThreads()).as("one slot: at most one thread given up").isEqualTo(1);
        assertThat(r.activeGuestThreads()).as("the second keeps its slot").isEqualTo(1);

        release.countDown();
        assertThat(r.guests.awaitIdle(Duration.ofSeconds(30))).isTrue();
        while (r.abandonedGuestThreads() > 0) {
            Thread.onSpinWait();
        }
    }

    @Test
    void theCpuLimitIsTheGuestThreadsAsTheMeterSaysAndNotTheWallClocks() throws Exception {
        Thread[] guest = new Thread[1];
        CountDownLatch known = new CountDownLatch(1);
        StandIn engine = new StandIn((spec, cancelled) -> {
            guest[0] = Thread.currentThread();
            known.countDown();
            return LOOP.run(spec, cancelled);
        }, 1);
        CallRunner r = runner(engine, 1, Duration.ZERO);
        CompletableFuture<ExecutionResult> result = call(r, Limits.builder().wallTime(Duration.ofSeconds(60))
                .cpuTime(Duration.ofSeconds(1)).build());
        assertThat(known.await(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofSeconds(30));
        time.used(guest[0], Duration.ofMillis(500), 0);
        time.tick();
        assertThat(result).isNotDone();
        time.used(guest[0], Duration.ofMillis(1000), 0);
        time.tick();
        ExecutionResult done = result.get(30, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(Status.CPU_LIMIT);
        assertThat(done.usage().cpuMillis()).isEqualTo(1000);
    }

    @Test
    void underHeapPressureTheCallThatAllocatedMostIsStoppedAndTheOtherGoesOn() throws Exception {
        Thread[] guests = new Thread[2];
        CountDownLatch finish = new CountDownLatch(1);
        CountDownLatch known = new CountDownLatch(2);
        StandIn engine = new StandIn((spec, cancelled) -> {
            int me = spec.stdin().read();
            guests[me] = Thread.currentThread();
            known.countDown();
            if (me == 1) {
                return LOOP.run(spec, cancelled);
            }
            finish.await();
            return Outcome.OK;
        }, 2);
        CallRunner r = runner(engine, 2, Duration.ZERO);
        CompletableFuture<ExecutionResult> light = CompletableFuture.supplyAsync(() -> new GuestCall(r,
                Execution.builder().code("pass").stdin(new byte[]{0}).build(), Limits.DEFAULT, null, false).submit());
        CompletableFuture<ExecutionResult> heavy = CompletableFuture.supplyAsync(() -> new GuestCall(r,
                Execution.builder().code("pass").stdin(new byte[]{1}).build(), Limits.DEFAULT, null, false).submit());
        assertThat(known.await(30, TimeUnit.SECONDS)).isTrue();
        time.used(guests[0], Duration.ZERO, 10L << 20);
        time.used(guests[1], Duration.ZERO, 500L << 20);
        time.tick();
        heap.underPressure = true;
        heap.collected(900L << 20);
        time.tick();
        ExecutionResult stopped = heavy.get(30, TimeUnit.SECONDS);
        assertThat(stopped.status()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(stopped.error().message()).contains("the host's heap is under pressure").contains("500MB");
        time.tick();
        assertThat(light).as("once per collection, and only the heaviest").isNotDone();
        finish.countDown();
        assertThat(light.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.OK);
    }

    @Test
    void outputPastTheCapEndsTheCallAtOnceWithWhatFitKept() throws Exception {
        StandIn engine = new StandIn((spec, cancelled) -> {
            try {
                spec.stdout().write("0123456789abcdef".getBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            cancelled.await();
            return Outcome.internal("CancelledError", "cancelled");
        }, 1);
        CallRunner r = runner(engine, 1, Duration.ZERO);
        ExecutionResult done = call(r, Limits.builder().outputBytes(10).build()).get(30, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat(done.stdout()).isEqualTo("0123456789");
        assertThat(done.stdoutTruncated()).isTrue();
        assertThat(done.usage().stdoutBytes()).isEqualTo(16);
    }

    @Test
    void aCallBeyondTheSlotsAndTheQueueIsRejectedAtOnce() throws Exception {
        StandIn engine = new StandIn(LOOP, 1);
        CallRunner r = runner(engine, 1, Duration.ZERO);
        CompletableFuture<ExecutionResult> busy = call(r, wall(Duration.ofSeconds(1)));
        assertThat(engine.started.await(30, TimeUnit.SECONDS)).isTrue();
        ExecutionResult refused = call(r, wall(Duration.ofSeconds(1))).get(30, TimeUnit.SECONDS);
        assertThat(refused.status()).isEqualTo(Status.REJECTED);
        assertThat(refused.error().message()).isEqualTo("too many calls at once: 1 running and 0 waiting");
        time.advance(Duration.ofSeconds(1));
        time.tick();
        assertThat(busy.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.TIMEOUT);
    }

    @Test
    void aCallThatWaitsItsWholeWallTimeInTheQueueEndsThenAndNeverRuns() throws Exception {
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        StandIn engine = new StandIn((spec, cancelled) -> {
            runs.incrementAndGet();
            return LOOP.run(spec, cancelled);
        }, 1);
        GuestPool guests = new GuestPool(1, 1);
        CallCapabilities capabilities = new CallCapabilities(engine, Map.of(), Gateway.builder().build(),
                Path.of("target", "call-limits-test"), () -> new DataDirectory(Path.of("target", "call-limits-test"), Quota.DEFAULT));
        runner = new CallRunner(engine, capabilities, guests, new Watchdog(time, time), heap, time, time, Duration.ZERO,
                ABANDON_AFTER);
        CompletableFuture<ExecutionResult> stuck = call(runner, wall(Duration.ofSeconds(60)));
        assertThat(engine.started.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<ExecutionResult> queued = call(runner, wall(Duration.ofSeconds(2)));
        while (guests.getQueue().isEmpty()) {
            Thread.onSpinWait();   // until the second call is accepted into the queue behind the first
        }
        time.advance(Duration.ofMillis(1999));
        time.tick();
        assertThat(queued).isNotDone();
        time.advance(Duration.ofMillis(1));
        time.tick();
        ExecutionResult waited = queued.get(30, TimeUnit.SECONDS);
        assertThat(waited.status()).isEqualTo(Status.TIMEOUT);
        assertThat(waited.error().message()).isEqualTo("wall-time limit of 2s reached while the call waited for a free run slot");
        time.advance(Duration.ofSeconds(60));
        time.tick();
        assertThat(stuck.get(30, TimeUnit.SECONDS).status()).isEqualTo(Status.TIMEOUT);
        assertThat(guests.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(runs).as("the queued call never ran").hasValue(1);
    }

    @Test
    void aCallWhoseSandboxIsSlowToOpenEndsAtItsWallTimeAndNeverRuns() throws Exception {
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch opening = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        // An engine whose open waits, as a worker pool does when every worker is busy or starting.
        StandIn engine = new StandIn((spec, cancelled) -> {
            runs.incrementAndGet();
            return Outcome.OK;
        }, 1) {
            @Override
            public Sandbox open(VirtualFileSystem fileSystem, String cwd) {
                opening.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a worker", e);
                }
                return super.open(fileSystem, cwd);
            }
        };
        CallRunner r = runner(engine, 1, Duration.ofMillis(250));
        CompletableFuture<ExecutionResult> result = call(r, wall(Duration.ofSeconds(2)));
        assertThat(opening.await(30, TimeUnit.SECONDS)).isTrue();
        time.advance(Duration.ofMillis(1999));
        time.tick();
        assertThat(result).isNotDone();
        time.advance(Duration.ofMillis(1));
        time.tick();
        assertThat(interrupted.await(30, TimeUnit.SECONDS)).as("the wait was interrupted").isTrue();
        ExecutionResult r1 = result.get(30, TimeUnit.SECONDS);
        assertThat(r1.status()).isEqualTo(Status.TIMEOUT);
        assertThat(r1.error().message()).isEqualTo("wall-time limit of 2s reached while the call's sandbox was being prepared");
        assertThat(r.guests.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(runs).as("the call never ran").hasValue(0);
    }

    @Test
    void whatTheGuestReturnsIsTheResultWhenNoLimitIsReached() throws Exception {
        Function<RunSpec, Outcome> answer = spec -> {
            spec.bridge().result("{\"answer\": 42}");
            return Outcome.OK;
        };
        StandIn engine = new StandIn((spec, cancelled) -> answer.apply(spec), 1);
        ExecutionResult done = call(runner(engine, 1, Duration.ZERO), Limits.DEFAULT).get(30, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(Status.OK);
        assertThat(done.value()).isEqualTo(Map.of("answer", 42));
    }
}
