package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Isolation;
import dev.cordon.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The isolation the build's test executions ask for through {@code CORDON_ISOLATION} is the one the suites get:
 * in worker-process mode every call runs in a child JVM of this one (so the suites that run again in that mode
 * really ran there), and in-process mode starts no process.
 */
class IsolationModeTest {

    @Test
    void theEnvironmentsIsolationIsTheOneCallsRunIn(@TempDir Path data) throws Exception {
        Isolation expected = "process".equals(System.getenv(Isolation.VARIABLE)) ? Isolation.PROCESS : Isolation.IN_PROCESS;
        try (Cordon cordon = Cordon.builder().dataDir(data).maxConcurrentRuns(1).build()) {
            assertThat(cordon.isolation()).isEqualTo(expected);
            assertThat(cordon.awaitStarted(Duration.ofMinutes(3))).isTrue();
            ExecutionResult r = cordon.run(Execution.builder().code("import sys\nprint(sys.version_info[:2])").build());
            assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
            assertThat(r.stdout()).isEqualTo("(3, 12)\n");
            List<ProcessHandle> workers = workers();
            if (expected == Isolation.PROCESS) {
                // The calls that may run at once, and a spare.
                assertThat(workers).hasSize(2);
                // Each worker runs under the OS limits Cordon sets where prlimit is there (it is on Debian).
                if (Files.isExecutable(Path.of("/usr/bin/prlimit"))) {
                    for (ProcessHandle w : workers) {
                        String limits = Files.readString(Path.of("/proc", String.valueOf(w.pid()), "limits"));
                        assertThat(limits).containsPattern("Max open files\\s+1024\\s+1024")
                                .containsPattern("Max core file size\\s+0\\s+0");
                        // Nothing of this JVM's environment but a UTF-8 locale (read, not sized: /proc sizes are 0).
                        assertThat(Files.readString(Path.of("/proc", String.valueOf(w.pid()), "environ")))
                                .isEqualTo("LANG=C.UTF-8\0");
                    }
                }
            } else {
                assertThat(workers).isEmpty();
            }
        }
        // A closed engine's workers are killed; the OS may take a moment to reap them.
        for (int i = 0; i < 50 && !workers().isEmpty(); i++) {
            Thread.sleep(100);
        }
        assertThat(workers()).as("workers left after close").isEmpty();
    }

    private static List<ProcessHandle> workers() {
        // Read from /proc: ProcessHandle.Info leaves out the arguments of a long command line.
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).filter(p -> {
            try {
                return Files.readString(Path.of("/proc", String.valueOf(p.pid()), "cmdline"))
                        .contains("\0dev.cordon.engine.worker.WorkerMain");
            } catch (java.io.IOException e) {
                return false;
            }
        }).toList();
    }
}
