package dev.cordon.governor;

import dev.cordon.Limits;
import dev.cordon.Status;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Each limit of a run, on a clock, a thread meter and a heap the test sets: no sleeping. */
class RunMonitorTest {

    private final FakeTime time = new FakeTime();
    private final FakeTime.Heap heap = new FakeTime.Heap();
    private final AtomicInteger cancels = new AtomicInteger();

    private RunMonitor monitor(Limits limits) {
        RunMonitor m = new RunMonitor(limits, heap, time, time);
        m.onTrip(cancels::incrementAndGet);
        return m;
    }

    @Test
    void theWallTimeLimitTripsAtItsDeadlineAndNotBefore() {
        RunMonitor m = monitor(Limits.builder().wallTime(Duration.ofSeconds(2)).build());
        m.begin();
        time.advance(Duration.ofMillis(1999));
        m.check(time.read());
        assertThat(m.tripped()).isNull();
        time.advance(Duration.ofMillis(1));
        m.check(time.read());
        assertThat(m.tripped()).isEqualTo(Status.TIMEOUT);
        assertThat(m.reason()).isEqualTo("wall-time limit of 2s reached");
        assertThat(m.trippedNanos()).isEqualTo(time.read());
        assertThat(cancels).hasValue(1);
    }

    @Test
    void theCpuLimitTripsOnTheGuestThreadsCpuTime() {
        RunMonitor m = monitor(Limits.builder().wallTime(Duration.ofSeconds(10)).cpuTime(Duration.ofSeconds(1)).build());
        m.begin();
        time.used(Thread.currentThread(), Duration.ofMillis(999), 0);
        m.check(time.read());
        assertThat(m.tripped()).isNull();
        time.used(Thread.currentThread(), Duration.ofMillis(1000), 0);
        m.check(time.read());
        assertThat(m.tripped()).isEqualTo(Status.CPU_LIMIT);
        assertThat(m.reason()).isEqualTo("CPU-time limit of 1s reached");
    }

    @Test
    void anExternalProcessesCpuTimeCountsWhenItHasOne() {
        RunMonitor m = monitor(Limits.builder().cpuTime(Duration.ofSeconds(1)).build());
        long[] external = {-1};
        m.cpuSource(() -> external[0]);
        m.begin();
        time.used(Thread.currentThread(), Duration.ofMillis(10), 0);
        m.check(time.read());
        assertThat(m.cpuNanos()).isEqualTo(Duration.ofMillis(10).toNanos());
        external[0] = Duration.ofSeconds(2).toNanos();
        m.check(time.read());
        assertThat(m.tripped()).isEqualTo(Status.CPU_LIMIT);
    }

    @Test
    void memoryIsWhatTheRunKeptAtACollectionNotWhatItAllocated() {
        long limit = 64L << 20;
        RunMonitor m = monitor(Limits.builder().memoryBytes(limit).build());
        heap.collected(100L << 20);
        m.begin();
        // Garbage: a gigabyte allocated, the heap back where it was after the next collection.
        time.used(Thread.currentThread(), Duration.ZERO, 1L << 30);
        heap.collected(100L << 20);
        m.check(time.read());
        assertThat(m.tripped()).isNull();
        assertThat(m.keptBytes()).isZero();
        // Kept: the heap grew by the limit and the run allocated at least that much.
        heap.collected((100L << 20) + limit);
        m.check(time.read());
        assertThat(m.tripped()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(m.reason()).startsWith("memory limit of 64MB reached");
    }

    @Test
    void aRunThatKeepsItsMemoryBeforeAnyCollectionAsksForOne() {
        long limit = 64L << 20;
        RunMonitor m = monitor(Limits.builder().memoryBytes(limit).build());
        heap.collected(10L << 20);
        m.begin();
        time.used(Thread.currentThread(), Duration.ZERO, limit);
        heap.usedNow = (10L << 20) + limit;
        m.check(time.read());
        assertThat(m.tripped()).isNull();
        assertThat(heap.requested).hasValue(1);
    }

    @Test
    void theFirstLimitReachedWinsAndCancelsOnce() {
        RunMonitor m = monitor(Limits.builder().wallTime(Duration.ofSeconds(1)).build());
        m.begin();
        m.trip(Status.OUTPUT_LIMIT, "stdout went past the output limit");
        time.advance(Duration.ofSeconds(5));
        m.check(time.read());
        m.trip(Status.MEMORY_LIMIT, "later");
        assertThat(m.tripped()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat(m.reason()).isEqualTo("stdout went past the output limit");
        assertThat(cancels).hasValue(1);
    }

    @Test
    void theWallClockStopsWhenTheRunEnds() {
        RunMonitor m = monitor(Limits.DEFAULT);
        assertThat(m.wallNanos()).isZero();
        m.begin();
        time.advance(Duration.ofMillis(300));
        m.end();
        time.advance(Duration.ofSeconds(30));
        assertThat(m.wallNanos()).isEqualTo(Duration.ofMillis(300).toNanos());
        assertThat(m.running()).isFalse();
    }
}
