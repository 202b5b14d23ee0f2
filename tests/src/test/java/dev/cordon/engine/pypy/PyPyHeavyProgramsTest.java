package dev.cordon.engine.pypy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.Backend;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.tests.hostile.HostilePrograms;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The programs of the hostile catalogue that GraalPy cannot hold in a shared heap (builtins that allocate
 * hundreds of megabytes in one uninterruptible step, a recursion that restarts itself; see docs/pypy.md's
 * known limits) on the PyPy sandbox backend, where they run in their own process: each ends at its limit or
 * with the interpreter's own MemoryError, on time, without growing this JVM's heap, and the next run works.
 * Needs {@code CORDON_PYPY_SANDBOX}; prints the table of docs/pypy.md.
 */
@Timeout(600)
class PyPyHeavyProgramsTest {

    @Test
    void heavyProgramsEndOnTimeInTheirOwnProcess() {
        List<Path> binaries = PyPyCrossBackendTest.pypyBinaries();
        Assumptions.assumeFalse(binaries.isEmpty(), "no PyPy sandbox binary: set " + Backend.PYPY_VARIABLE);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (Path binary : binaries) {
            try (Cordon cordon = Cordon.builder().backend(Backend.pypySandbox(binary)).build()) {
                System.gc();
                long before = memory.getHeapMemoryUsage().getUsed();
                System.out.printf("%n%s (%s)%n%-28s %-14s %-20s %8s%n", binary,
                        new PyPyEngine(Backend.pypySandbox(binary), GuestWorld.DEFAULT).protocol(), "program", "status", "error", "wall ms");
                for (HostilePrograms.Program p : HostilePrograms.uncancellable()) {
                    ExecutionResult r = cordon.run(Execution.builder().code(p.code()).limits(p.limits()).build());
                    System.out.printf("%-28s %-14s %-20s %8d%n", p.name(), r.status(),
                            r.error() == null ? "" : r.error().type(), r.usage().wallMillis());
                    // Some programs are Python 3 only (a NameError for RecursionError, an ImportError for
                    // array), and PyPy keeps range() lazy (sorted(range(10**8)) just ends): the point is
                    // that each ends, on time, without touching this JVM.
                    assertThat(r.status()).as(p.name()).isNotEqualTo(Status.INTERNAL);
                    if (p.name().startsWith("mem.") && r.status() == Status.ERROR) {
                        assertThat(r.error().type()).as(p.name()).isIn("MemoryError", "OverflowError", "ImportError");
                    }
                    assertThat(r.usage().wallMillis()).as(p.name())
                            .isLessThan(p.limits().wallTime().toMillis() + 1000);
                    assertThat(cordon.run(Execution.builder().code("print(6 * 7)").build()).stdout())
                            .as("the run after " + p.name()).isEqualTo("42\n");
                }
                System.gc();
                long after = memory.getHeapMemoryUsage().getUsed();
                assertThat(after - before).as("heap growth of this JVM").isLessThan(64L << 20);
            }
        }
    }
}
