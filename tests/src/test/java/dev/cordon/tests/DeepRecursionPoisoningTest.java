package dev.cordon.tests;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.client.CordonClient;
import dev.cordon.tests.hostile.HostilePrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A recursion that fills its thread's stack and retries from its handler, sent first to a newly started
 * {@code cordon serve}, must not break the interpreter for the calls after it. GraalPy's own classes were first
 * used at the bottom of that stack, where their static initialisers overflowed, and the JVM then refused those
 * classes for its whole life: in a fresh JVM, every later {@code range()} (or, in another run, every exception
 * raised inside a handler), by any tenant, ended in SystemError. The classes are initialised ahead now
 * ({@code EngineClasses}).
 *
 * <p>The service is a new JVM, in process, so that the recursion is the first guest code of its life, as it
 * could be on a real server. A worker's JVM initialises its classes the same way, but there the next call may be
 * given another worker, so the failure it guards against shows in process.
 */
class DeepRecursionPoisoningTest {

    private static final String KEY = "poison-key-0123456789";

    @Test
    void aRecursionThatOverflowsTheStackFirstLeavesTheInterpreterWhole(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("serve.json");
        Files.writeString(config, "{\"port\": 0, \"dataDir\": \"data\", \"isolation\": \"in-process\","
                + " \"maxConcurrentRuns\": 1, \"maxQueuedRuns\": 2, \"clients\": {\"app\": {\"key\": \"" + KEY
                + "\", \"principal\": \"app\", \"limits\": {\"wallTime\": \"3s\", \"memory\": \"256MB\"}}}}");
        try (ServeProcess server = new ServeProcess("768m", config)) {
            CordonClient client = new CordonClient(server.uri(), KEY);
            for (String name : new String[] {"cpu.recursion-retry-bare", "cpu.recursion-retry"}) {
                ExecutionResult hostile = client.run(CordonClient.request(HostilePrograms.named(name).code()));
                // Stopped at its deadline, or by the heap guard when its frames fill the heap first.
                assertThat(hostile.status()).as("%s: %s", name, hostile.error())
                        .isIn(Status.TIMEOUT, Status.MEMORY_LIMIT);

                ExecutionResult after = client.run(CordonClient.request("""
                        def g():
                            try:
                                raise KeyError(1)
                            except KeyError:
                                try:
                                    raise ValueError(2)
                                except ValueError as e:
                                    return repr(e.__context__), list(range(3)), sorted({3, 1, 2})
                        print(g())
                        """));
                assertThat(after.status()).as("after %s: %s", name, after.error()).isEqualTo(Status.OK);
                assertThat(after.stdout()).isEqualTo("('KeyError(1)', [0, 1, 2], [1, 2, 3])\n");
            }
            assertThat(server.log()).noneMatch(l -> l.contains("NoClassDefFoundError")
                    || l.contains("ExceptionInInitializerError") || l.contains("OutOfMemoryError")
                    || l.contains("initialised on first use"));
        }
    }
}
