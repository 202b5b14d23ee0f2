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

/**
 * Real worker processes: a worker is idle, in the parent's eyes, only once the context for its next call is
 * booted, so that a call given to an idle worker starts at once. Calls come back to back, each as soon as every
 * worker is idle again, and so each worker's next call comes while a worker that had said it was ready at
 * once would still be booting.
 */
class WorkerReadinessTest {

    @Test
    void aCallGivenToAnIdleWorkerDoesNotWaitForABoot() throws Exception {
        try (WorkerEngine engine = new WorkerEngine(GuestWorld.DEFAULT, 2, 512L << 20, Duration.ofMillis(250), List.of())) {
            for (int i = 0; i < 6; i++) {
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (engine.preparedReady() < 2) {
                    assertThat(System.nanoTime()).as("both workers idle in time").isLessThan(deadline);
                    Thread.sleep(1);
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                AuditTrail audit = new AuditTrail(new ResponseBudget(1 << 20));
                try (Sandbox s = engine.open(VirtualFileSystem.builder().build(), "/")) {
                    Outcome o = s.run(new RunSpec("print(6 * 7)", "<string>", List.of("-c"), false,
                            InputStream.nullInputStream(), out, out,
                            new CallBridge("{}", new ResponseBudget(1 << 20), audit, null), audit, Limits.DEFAULT,
                            Duration.ofSeconds(60), 1 << 20));
                    assertThat(o.status()).as("%s", o.error()).isEqualTo(Status.OK);
                    assertThat(out.toString()).isEqualTo("42\n");
                    assertThat(s.bootNanos()).as("call %d waited for its context to boot", i).isZero();
                }
            }
        }
    }
}
