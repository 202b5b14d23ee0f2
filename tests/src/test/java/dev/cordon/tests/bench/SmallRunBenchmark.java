package dev.cordon.tests.bench;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Session;
import dev.cordon.capabilities.Grants;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The latency of one small run, three ways: a fresh context prepared ahead (the pool refilled and the last
 * context closed before each run, as between a server's requests, outside the timed part), a fresh context booted on demand, and a
 * session's warm context. Run with {@code ./cordon jmh SmallRunBenchmark}; {@code ./cordon bench run}
 * prints the same figures beside CPython started as a subprocess.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(0)
public class SmallRunBenchmark {

    static final String SMALL = "x = sum(i * i for i in range(100))\nprint('small run', x)";

    Cordon prepared;
    Cordon onDemand;
    Session session;
    final Execution small = Execution.builder().principal("bench").code(SMALL).build();

    @Setup(Level.Trial)
    public void start() {
        prepared = Cordon.builder().preparedContexts(2).build();
        onDemand = Cordon.builder().build();
        session = onDemand.session("bench", Grants.none());
    }

    /** Not timed: lets the pool refill and the last context close, as between a server's requests. */
    @Setup(Level.Invocation)
    public void refill() throws InterruptedException {
        while (prepared.preparedContextsReady() < 2 || prepared.activeGuestThreads() > 0) {
            Thread.sleep(1);
        }
    }

    @Benchmark
    public ExecutionResult freshContextPreparedAhead() {
        return check(prepared.run(small));
    }

    @Benchmark
    public ExecutionResult freshContextBootedOnDemand() {
        return check(onDemand.run(small));
    }

    @Benchmark
    public ExecutionResult sessionMode() {
        return check(session.run(small));
    }

    private static ExecutionResult check(ExecutionResult r) {
        if (!r.isOk()) {
            throw new IllegalStateException(r.status() + " " + r.error());
        }
        return r;
    }

    @TearDown(Level.Trial)
    public void stop() {
        session.close();
        onDemand.close();
        prepared.close();
    }
}
