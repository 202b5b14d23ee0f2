package com.example.consumer;

import dev.cordon.Cordon;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consumer's own test, under Surefire with the JIT set-up of its pom. */
class MainTest {

    @Test
    void theCallRunsWithItsGrantAndGuestCodeIsJitCompiled(@TempDir Path data) {
        try (Cordon cordon = Cordon.builder().dataDir(data).build()) {
            ExecutionResult first = Main.run(cordon, "alice");
            assertEquals(Status.OK, first.status(), () -> String.valueOf(first.error()));
            assertEquals("hello bob\n", first.stdout());
            assertEquals(Map.of("visits", 1), first.value());
            assertEquals(Map.of("visits", 2), Main.run(cordon, "alice").value());
            assertTrue(cordon.jitCompiled(), "Cordon reports that guest code runs without the JIT: the JVM set-up "
                    + "of this pom's cordon.jit property did not take");
        }
    }
}
