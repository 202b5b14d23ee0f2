package dev.cordon.cli;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Isolation;
import dev.cordon.Limits;
import dev.cordon.Status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * {@code cordon bench isolation}: what worker processes cost against GraalPy in this JVM, measured the way a
 * server meets it, both modes in the same run: from a cold start to the first answer, small runs one at a
 * time after a warm-up, runs per second with every slot busy, the wait for the next answer after a run whose
 * worker had to be killed, and the memory of an idle worker.
 */
final class IsolationBench {

    /** A builtin that GraalPy cannot interrupt, reached by a computed name: in a worker, only a kill ends it. */
    static final String UNCANCELLABLE = "getattr(7, '__p' + 'ow__')(10**8)";

    private final String program;
    private final int samples;
    private final Duration warmup;
    private final Duration sustained;
    private final Consumer<BenchCommand.Row> rows;

    IsolationBench(String program, int samples, Duration warmup, Duration sustained, Consumer<BenchCommand.Row> rows) {
        this.program = program;
        this.samples = samples;
        this.warmup = warmup;
        this.sustained = sustained;
        this.rows = rows;
    }

    void run() throws Exception {
        int slots = Math.max(2, Runtime.getRuntime().availableProcessors());
        double[] median = new double[Isolation.values().length];
        for (Isolation mode : Isolation.values()) {
            String name = mode.text();
            long start = System.nanoTime();
            try (Cordon cordon = Cordon.builder().isolation(mode).maxConcurrentRuns(slots).preparedContexts(slots)
                    .defaultLimits(Limits.builder().wallTime(Duration.ofMinutes(2)).build()).build()) {
                ok(cordon.run(small()));
                rows.accept(new BenchCommand.Row("cold start to the first answer, " + name,
                        (System.nanoTime() - start) / 1e6, "ms", null, null, null, null));
                cordon.awaitStarted(Duration.ofMinutes(5));
                long warmUntil = System.nanoTime() + warmup.toNanos();
                while (System.nanoTime() < warmUntil) {
                    ok(cordon.run(small()));
                }
                List<Long> one = new ArrayList<>();
                for (int i = 0; i < samples; i++) {
                    awaitQuiet(cordon, slots);
                    long t = System.nanoTime();
                    ok(cordon.run(small()));
                    one.add(System.nanoTime() - t);
                }
                Collections.sort(one);
                median[mode.ordinal()] = one.get(one.size() / 2) / 1e6;
                Double base = mode == Isolation.IN_PROCESS ? null : median[Isolation.IN_PROCESS.ordinal()];
                rows.accept(new BenchCommand.Row("small run, one at a time, " + name + ", median",
                        median[mode.ordinal()], "ms", base == null ? null : "in-process", base, null, null));
                rows.accept(new BenchCommand.Row("small run, one at a time, " + name + ", p99",
                        one.get(Math.min(one.size() - 1, one.size() * 99 / 100)) / 1e6, "ms", null, null, null, null));
                rows.accept(new BenchCommand.Row("runs per second, " + slots + " at once, " + name,
                        perSecond(cordon, slots), "/s", null, null, null, null));
                if (mode == Isolation.PROCESS) {
                    afterAKill(cordon, slots);
                    rows.accept(new BenchCommand.Row("resident memory of an idle worker process",
                            idleWorkerMegabytes(), "MB", null, null, null, null));
                }
            }
        }
    }

    /** The wait for the next answer after a run that had to be killed, and for the pool to be whole again. */
    private void afterAKill(Cordon cordon, int slots) throws Exception {
        awaitQuiet(cordon, slots);
        ExecutionResult stuck = cordon.run(Execution.builder().code(UNCANCELLABLE)
                .limits(Limits.builder().wallTime(Duration.ofSeconds(1)).build()).build());
        if (stuck.status() != Status.TIMEOUT) {
            throw new IllegalStateException("the uncancellable run ended " + stuck.status() + ", not TIMEOUT");
        }
        long answered = System.nanoTime();
        ok(cordon.run(small()));
        rows.accept(new BenchCommand.Row("next answer after a run at its limit in an uncancellable builtin",
                (System.nanoTime() - answered) / 1e6, "ms", null, null, null, null));
        awaitQuiet(cordon, slots);
        rows.accept(new BenchCommand.Row("until the killed worker's replacement is ready",
                (System.nanoTime() - answered) / 1e6, "ms", null, null, null, null));
    }

    private double perSecond(Cordon cordon, int slots) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    ok(cordon.run(small()));
                    done.incrementAndGet();
                }
            }));
        }
        Thread.sleep(Math.min(10_000, sustained.toMillis() / 3));
        long first = done.get();
        long start = System.nanoTime();
        Thread.sleep(sustained.toMillis());
        double rate = (done.get() - first) / ((System.nanoTime() - start) / 1e9);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        return rate;
    }

    /**
     * Light load: the next run comes once every prepared context, or every worker (one more than the slots), is
     * ready again.
     */
    private static void awaitQuiet(Cordon cordon, int slots) throws InterruptedException {
        int ready = cordon.isolation() == Isolation.PROCESS ? slots + 1 : slots;
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while ((cordon.preparedContextsReady() < ready || cordon.activeGuestThreads() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** The mean resident set of this JVM's child processes (the workers), from {@code /proc}. */
    private static double idleWorkerMegabytes() throws IOException {
        List<Long> kilobytes = new ArrayList<>();
        for (ProcessHandle child : ProcessHandle.current().children().toList()) {
            Path status = Path.of("/proc", Long.toString(child.pid()), "status");
            if (!Files.isReadable(status)) {
                continue;
            }
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    kilobytes.add(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        }
        if (kilobytes.isEmpty()) {
            throw new IllegalStateException("no worker process to measure (no /proc here?)");
        }
        return kilobytes.stream().mapToLong(Long::longValue).average().orElse(0) / 1024;
    }

    private Execution small() {
        return Execution.builder().principal("bench").code(program).build();
    }

    private static void ok(ExecutionResult r) {
        if (!r.isOk()) {
            throw new IllegalStateException("a benchmark run failed: " + r.status() + " " + r.error());
        }
    }
}
