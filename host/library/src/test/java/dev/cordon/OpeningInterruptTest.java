package dev.cordon;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A limit interrupts a call's thread while it opens its sandbox, never once the opening is over. */
class OpeningInterruptTest {

    @Test
    void anInterruptDuringTheOpeningIsDeliveredAndClearedWhenItIsOver() throws Exception {
        GuestCall.OpeningInterrupt opening = new GuestCall.OpeningInterrupt(Thread.currentThread());
        Thread limit = Thread.ofPlatform().start(opening::interrupt);
        while (limit.isAlive()) {
            Thread.onSpinWait();   // not join(): the interrupt would end the wait instead of staying set
        }
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        opening.over();
        assertThat(Thread.currentThread().isInterrupted()).as("nothing left for the thread's next call").isFalse();
    }

    @Test
    void anInterruptThatComesLateNeverReachesTheThread() throws Exception {
        GuestCall.OpeningInterrupt opening = new GuestCall.OpeningInterrupt(Thread.currentThread());
        opening.over();
        Thread late = Thread.ofPlatform().start(opening::interrupt);
        late.join();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
