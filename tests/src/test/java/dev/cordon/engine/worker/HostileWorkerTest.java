package dev.cordon.engine.worker;

import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.ResponseBudget;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.CallBridge;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Workers that misbehave, played by real child processes: one that answers a run with a frame longer than the
 * bound, one that dies in the middle of a run, one that never stops when cancelled. Each ends its own call
 * cleanly (INTERNAL, or the limit) and is killed; the parent holds nothing it sent.
 */
class HostileWorkerTest {

    private static final String READY = "printf '\\000\\000\\000\\001\\024'";

    private static WorkerEngine engine(String script) {
        return new WorkerEngine(GuestWorld.DEFAULT, 1, List.of("/bin/bash", "-c", script), Duration.ofMillis(250), List.of());
    }

    private static RunSpec spec(ByteArrayOutputStream out, AuditTrail audit) {
        return new RunSpec("print(1)", "<string>", List.of("-c"), false, InputStream.nullInputStream(), out, out,
                new CallBridge("{}", new ResponseBudget(1 << 20), audit, null), audit, Limits.DEFAULT,
                Duration.ofSeconds(10), 1 << 20);
    }

    private static Outcome runOnce(WorkerEngine engine) {
        AuditTrail audit = new AuditTrail(new ResponseBudget(1 << 20));
        try (Sandbox s = engine.open(VirtualFileSystem.builder().build(), "/")) {
            return s.run(spec(new ByteArrayOutputStream(), audit));
        }
    }

    @Test
    void aWorkerThatCannotStartIsTheEnginesErrorWithItsLastWords() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> engine("echo 'Error: Could not find or load main class x' >&2; exit 1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a worker process did not start: Error: Could not find or load main class x");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aWorkerThatSaysSomethingElseThanReadyIsNotUsed() {
        assertThatThrownBy(() -> engine("printf '\\000\\000\\000\\001\\077'; sleep 60"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("a worker process did not start");
    }

    @Test
    void anOversizedFrameEndsTheCallAndTheWorker() {
        WorkerEngine engine = engine(READY + "; printf '\\177\\377\\377\\377'; sleep 60");
        try {
            Outcome o = runOnce(engine);
            assertThat(o.status()).isEqualTo(Status.INTERNAL);
            assertThat(o.error().message()).contains("broke the protocol").contains("a frame of 2147483647 bytes");
        } finally {
            engine.close();
        }
    }

    @Test
    void aWorkerThatDiesInARunEndsOnlyThatCall() {
        WorkerEngine engine = engine(READY + "; sleep 0.2; exit 3");
        try {
            Outcome o = runOnce(engine);
            assertThat(o.status()).isEqualTo(Status.INTERNAL);
            assertThat(o.error().message()).isEqualTo("the worker process ended unexpectedly");
        } finally {
            engine.close();
        }
    }

    /**
     * Many workers, more than the machine's cores, each taken and given back in turn, many times: every one is
     * idle again after its call. Each stand-in says READY, then READY again after each END_SESSION (a frame of
     * five bytes). (The seventh call of {@code cordon conformance} in worker isolation once waited 120 s for a
     * worker; these stand-ins did not reproduce that, the real workers of ConformanceTest's eight modules do.)
     */
    @Test
    void everyWorkerIsTakenBackAfterItsCallHoweverManyThePoolHolds() throws Exception {
        int workers = 4 * Runtime.getRuntime().availableProcessors() + 2;
        WorkerEngine engine = new WorkerEngine(GuestWorld.DEFAULT, workers,
                List.of("/bin/bash", "-c", READY + "; while head -c 5 > /dev/null; do " + READY + "; done"),
                Duration.ofMillis(250), List.of());
        try {
            assertThat(engine.awaitStarted(Duration.ofSeconds(60))).as("all %d workers up", workers).isTrue();
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (int i = 0; i < 3 * workers; i++) {
                    engine.open(VirtualFileSystem.builder().build(), "/").close();
                }
            });
            assertThat(engine.awaitStarted(Duration.ofSeconds(30))).as("every worker idle again").isTrue();
        } finally {
            engine.close();
        }
    }

    @Test
    void aWorkerThatIgnoresItsCancelIsKilledWithinTheGrace() throws Exception {
        WorkerEngine engine = engine(READY + "; sleep 300");
        try (Sandbox s = engine.open(VirtualFileSystem.builder().build(), "/")) {
            AuditTrail audit = new AuditTrail(new ResponseBudget(1 << 20));
            java.util.concurrent.CompletableFuture<Outcome> run = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> s.run(spec(new ByteArrayOutputStream(), audit)));
            long start = System.nanoTime();
            s.cancel();
            Outcome o = run.get(30, java.util.concurrent.TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(o.error().type()).isEqualTo("CancelledError");
            assertThat(millis).as("killed after the grace, not later").isLessThan(5_000);
            assertThat(s.usable()).isFalse();
        } finally {
            engine.close();
        }
    }
}
