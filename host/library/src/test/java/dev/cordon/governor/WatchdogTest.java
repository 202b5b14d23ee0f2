package dev.cordon.governor;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The watchdog's period comes from its scheduler and its time from its ticker. */
class WatchdogTest {

    @Test
    void eachPeriodSamplesEveryWatchedRunAtTheTickersTime() {
        FakeTime time = new FakeTime();
        List<Long> seen = new ArrayList<>();
        try (Watchdog w = new Watchdog(time, time)) {
            Watchdog.Tick tick = seen::add;
            w.watch(tick);
            time.tick();
            time.advance(java.time.Duration.ofMillis(5));
            time.tick();
            w.unwatch(tick);
            time.tick();
        }
        assertThat(seen).containsExactly(1_000_000_000L, 1_005_000_000L);
    }

    @Test
    void aRunThatFailsItsCheckIsDroppedAndTheOthersGoOn() {
        FakeTime time = new FakeTime();
        List<String> seen = new ArrayList<>();
        try (Watchdog w = new Watchdog(time, time)) {
            w.watch(now -> {
                throw new IllegalStateException("broken");
            });
            w.watch(now -> seen.add("fine"));
            time.tick();
            time.tick();
        }
        assertThat(seen).containsExactly("fine", "fine");
    }
}
