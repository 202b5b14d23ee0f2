package dev.cordon.tests.hostile;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.Quota;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every hostile program of the catalogue ends with its exact status and error type, no later than its
 * deadline plus 100 ms, and the next run succeeds. Then several of them run at once beside a well-behaved
 * tenant whose runs must all succeed. The test JVM runs at -Xmx1g (see this module's pom), and the table it
 * writes to target/hostile-report.md is the one in docs/security.md.
 */
class HostileCodeTest {

    /**
     * How far past its limit a hostile call's answer may come: 250 ms, the bound the design promises in both
     * isolation modes. In process the answer is usually 5 to 10 ms late (the watchdog's 5 ms tick), but a stall of
     * the shared machine adds to it (CI saw `cpu.finalizer-loop` answered at 3,107 ms for a 3 s limit, where it
     * takes 3,007 ms alone); in worker processes the answer also crosses the channel (CI saw 3,105 ms).
     */
    private static final long SLACK_MILLIS = 250;
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    @TempDir
    static Path data;
    static Cordon cordon;
    static final Map<String, String> ROWS = new ConcurrentSkipListMap<>();
    static final List<String> TENANT = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() {
        cordon = Cordon.builder().dataDir(data).tmpQuota(new Quota(1L << 20, 50)).maxConcurrentRuns(6)
                .defaultLimits(HostilePrograms.LIMITS).build();
        // Warm the engine so that the first program's time is not the engine's.
        cordon.run(Execution.builder().code("import json, re, os\nprint('warm')").build());
    }

    @AfterAll
    static void stop() throws Exception {
        cordon.close();
        StringBuilder table = new StringBuilder("| program | status | error | stopped after | peak heap |\n"
                + "| --- | --- | --- | --- | --- |\n");
        ROWS.values().forEach(table::append);
        TENANT.forEach(line -> table.append('\n').append(line));
        Path report = Path.of("target", "hostile-report.md");
        Files.createDirectories(report.getParent());
        Files.writeString(report, table + "\n");
    }

    static Stream<HostilePrograms.Program> programs() {
        return HostilePrograms.all().stream();
    }

    private static Execution execution(HostilePrograms.Program p) {
        Execution.Builder b = Execution.builder().principal("hostile").code(p.code()).limits(p.limits());
        if (p.tmp()) {
            b.grant("fs.tmp");
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void endsAsExpectedOnTimeAndTheNextRunIsFine(HostilePrograms.Program p) throws Exception {
        settle();
        AtomicLong peak = new AtomicLong();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(MEMORY.getHeapMemoryUsage().getUsed(), Math::max),
                0, 5, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        ExecutionResult r = cordon.run(execution(p));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        sampler.shutdownNow();
        sampler.awaitTermination(10, TimeUnit.SECONDS);
        long guestMillis = elapsedMillis - r.usage().prepareMillis();
        ROWS.put(p.name(), "| `" + p.name() + "` | " + r.status() + " | " + (r.error() == null ? "" : r.error().type())
                + " | " + guestMillis + " ms | " + (peak.get() >> 20) + " MB |\n");

        assertThat(r.status()).as("%s: %s", p.name(), r.error()).isEqualTo(p.status());
        assertThat(r.error() == null ? null : r.error().type()).as(p.name()).isEqualTo(p.errorType());
        long deadline = p.status() == Status.CPU_LIMIT ? p.limits().cpuTime().toMillis() * 2
                : p.limits().wallTime().toMillis();
        assertThat(guestMillis).as("%s stopped after %d ms", p.name(), guestMillis).isLessThanOrEqualTo(deadline + SLACK_MILLIS);

        ExecutionResult next = cordon.run(Execution.builder().principal("hostile").code("print('next')").build());
        assertThat(next.status()).as(next.toString()).isEqualTo(Status.OK);
        assertThat(next.stdout()).isEqualTo("next\n");
    }

    @Test
    void aWellBehavedTenantKeepsSucceedingBesideHostileNeighbours() throws Exception {
        // In worker processes the tenant's wall time also covers its wait for a worker: with five hostile programs
        // looping on two cores, workers killed at their limits are replaced while the others are busy, and a
        // tenant's call has waited past 20 s for one (CI, 2026-12-06). The tenant must still always succeed.
        // In process, CI once saw a tenant's call wait past 20 s for its context to boot (2026-12-07), where its p99
        // here is 0.5 to 2.7 s: the call now has 60 s, and any call still waiting after 15 s leaves a dump of the
        // JVM's threads in target/tenant-stall-N.txt (and on stderr), so that such a stall is seen where it is.
        Duration patience = Duration.ofSeconds(cordon.isolation() == dev.cordon.Isolation.PROCESS ? 90 : 60);
        Execution tenant = Execution.builder().principal("tenant").code("print(sum(i * i for i in range(1000)))")
                .limits(Limits.builder().wallTime(patience).build()).build();
        settle();
        for (int i = 0; i < 5; i++) {
            cordon.run(tenant);
        }
        List<Long> quiet = tenantLatencies(tenant, 30);

        List<String> neighbours = List.of("cpu.while-true", "mem.list-append", "out.stdout-flood", "mem.sorted-huge-range",
                "cpu.recursion-retry");
        AtomicBoolean hostile = new AtomicBoolean(true);
        CountDownLatch started = new CountDownLatch(neighbours.size());
        List<Thread> threads = new ArrayList<>();
        List<Status> hostileStatuses = Collections.synchronizedList(new ArrayList<>());
        for (String name : neighbours) {
            HostilePrograms.Program p = HostilePrograms.named(name);
            threads.add(Thread.ofPlatform().daemon().start(() -> {
                started.countDown();
                while (hostile.get()) {
                    hostileStatuses.add(cordon.run(execution(p)).status());
                }
            }));
        }
        started.await();
        List<Long> busy;
        try {
            busy = tenantLatencies(tenant, 30);
        } finally {
            hostile.set(false);
            for (Thread t : threads) {
                t.join();
            }
        }
        assertThat(hostileStatuses).isNotEmpty().doesNotContain(Status.OK, Status.INTERNAL);
        TENANT.add("Well-behaved tenant (`print(sum(i * i for i in range(1000)))`, fresh context per run): median "
                + percentile(quiet, 50) + " ms, p99 " + percentile(quiet, 99) + " ms alone; median "
                + percentile(busy, 50) + " ms, p99 " + percentile(busy, 99) + " ms, longest " + Collections.max(busy)
                + " ms beside " + neighbours.size()
                + " hostile programs running in a loop (" + hostileStatuses.size() + " hostile runs, all stopped).");
    }

    /**
     * Waits (ten seconds at most) until no guest thread of an earlier program is still draining, so that each
     * program is measured on its own; the draining itself is what the concurrent test exercises.
     */
    /**
     * From rest: no guest at work and, with worker processes, a killed worker's replacement up again and the
     * workers done booting their next contexts. In process the engine pauses its preparing while a call runs;
     * a worker does not know that a sibling runs one, and on two cores two workers booting beside a program
     * took half its processor (a 500 ms CPU limit reached after 1.46 s).
     */
    private static void settle() throws InterruptedException {
        assertThat(cordon.awaitIdle(Duration.ofSeconds(90))).as("the sandbox at rest").isTrue();
        if (cordon.isolation() == dev.cordon.Isolation.PROCESS) {
            awaitWorkersQuiet();
        }
        System.gc();
    }

    /** Until the worker processes together used under a tenth of a core for 200 ms, or a minute passed. */
    private static void awaitWorkersQuiet() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        long last = workersCpuNanos();
        while (System.nanoTime() < until) {
            Thread.sleep(200);
            long now = workersCpuNanos();
            if (now - last < TimeUnit.MILLISECONDS.toNanos(20)) {
                return;
            }
            last = now;
        }
    }

    private static long workersCpuNanos() {
        return ProcessHandle.current().children().mapToLong(p -> p.info().totalCpuDuration()
                .map(Duration::toNanos).orElse(0L)).sum();
    }

    private static List<Long> tenantLatencies(Execution tenant, int n) {
        List<Long> millis = new ArrayList<>();
        ScheduledExecutorService stallWatch = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                var dump = stallWatch.schedule(HostileCodeTest::dumpThreads, 15, TimeUnit.SECONDS);
                ExecutionResult r = cordon.run(tenant);
                dump.cancel(false);
                millis.add((System.nanoTime() - start) / 1_000_000);
                assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
                assertThat(r.stdout()).isEqualTo("332833500\n");
            }
        } finally {
            stallWatch.shutdownNow();
        }
        return millis;
    }

    private static final AtomicLong STALLS = new AtomicLong();

    /** Writes every thread's stack, with the locks it holds, to target/tenant-stall-N.txt and stderr. */
    private static void dumpThreads() {
        StringBuilder text = new StringBuilder("A well-behaved tenant's call still running after 15 s; the JVM's threads:\n");
        for (var info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            text.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                text.append(" on ").append(info.getLockName()).append(" held by ").append(info.getLockOwnerName());
            }
            text.append('\n');
            for (StackTraceElement e : info.getStackTrace()) {
                text.append("    at ").append(e).append('\n');
            }
            for (var lock : info.getLockedSynchronizers()) {
                text.append("    holds ").append(lock).append('\n');
            }
        }
        System.err.println(text);
        try {
            Path file = Path.of("target", "tenant-stall-" + STALLS.incrementAndGet() + ".txt");
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            System.err.println("could not write the stall's dump: " + e);
        }
    }

    private static long percentile(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }
}
