package dev.cordon.cli;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code cordon bench}: measurements printed as figures and as ratios against a baseline measured in the
 * same run, so that they mean something on any machine.
 */
@Command(name = "bench", description = {
        "Measure Cordon and print figures with a baseline from the same run.",
        "  gateway   the guest-to-host round trip of a no-op gateway call, against a plain Python call",
        "  run       the latency of a small run in a fresh context, against python3 -I -S -c as a subprocess"})
final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "WHAT", description = "What to measure: gateway or run.", defaultValue = "gateway")
    String what;

    @Option(names = "--samples", description = "Timed calls (default: 20000).", defaultValue = "20000")
    int samples;

    @Option(names = "--warmup", description = "Calls before timing, so the JIT has compiled the path (default: 1000000).",
            defaultValue = "1000000")
    int warmup;

    /** Times each call on its own with perf_counter_ns, so the median is of single round trips. */
    private static final String GATEWAY = """
            import time, cordon
            from cordon import gateway

            def plain(op):
                return None

            def timed(f, n, clock=time.perf_counter_ns):
                out = []
                for _ in range(n):
                    a = clock()
                    f('op')
                    b = clock()
                    out.append(b - a)
                out.sort()
                return {'median': out[n // 2], 'p90': out[n * 9 // 10], 'p99': out[n * 99 // 100]}

            def loop(f, n):
                for _ in range(n):
                    f('op')

            def main(p):
                call = gateway.connect('noop').call
                for _ in range(10):
                    loop(call, p['warmup'] // 10)
                    loop(plain, p['warmup'] // 10)
                    timed(call, p['samples'] // 10)
                    timed(plain, p['samples'] // 10)
                cordon.result({'gateway': timed(call, p['samples']), 'plain': timed(plain, p['samples'])})

            main(cordon.params)
            """;

    private static final String SMALL = "x = sum(i * i for i in range(100))\nprint('small run', x)";

    @Override
    public Integer call() throws Exception {
        if (what.equals("run")) {
            return smallRuns();
        }
        if (!what.equals("gateway")) {
            throw new IllegalArgumentException("unknown benchmark " + what + ": gateway or run");
        }
        try (Cordon cordon = Cordon.builder().service("noop", (ctx, op, args) -> null)
                .defaultLimits(Limits.builder().wallTime(Duration.ofMinutes(10)).build()).build()) {
            ExecutionResult r = cordon.run(Execution.builder().grant("gateway:noop").code(GATEWAY)
                    .param("warmup", warmup).param("samples", samples).build());
            if (!r.isOk()) {
                System.err.println("cordon bench: " + r.status() + ": " + (r.error() == null ? "" : r.error()));
                return 70;
            }
            Map<?, ?> value = (Map<?, ?>) r.value();
            Map<?, ?> gateway = (Map<?, ?>) value.get("gateway");
            Map<?, ?> plain = (Map<?, ?>) value.get("plain");
            double median = micros(gateway.get("median"));
            System.out.printf("gateway round trip, no-op operation (%d timed calls after %d warm-up calls):%n",
                    samples, warmup);
            for (String k : List.of("median", "p90", "p99")) {
                System.out.printf("  %-6s %8.2f µs   (plain Python call: %6.2f µs, ratio %.1fx)%n", k,
                        micros(gateway.get(k)), micros(plain.get(k)),
                        micros(gateway.get(k)) / Math.max(0.001, micros(plain.get(k))));
            }
            System.out.printf("target: median <= 5 µs: %s%n", median <= 5.0 ? "met" : "NOT met");
            return 0;
        }
    }

    /** Small runs, each in a fresh context on a warm Cordon, against CPython started for each. */
    private int smallRuns() throws Exception {
        int n = Math.min(samples, 200);
        List<Long> cordonNanos = new java.util.ArrayList<>();
        try (Cordon cordon = Cordon.builder().build()) {
            Execution e = Execution.builder().code(SMALL).build();
            for (int i = 0; i < 20; i++) {
                cordon.run(e);
            }
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                ExecutionResult r = cordon.run(e);
                cordonNanos.add(System.nanoTime() - start);
                if (!r.isOk()) {
                    System.err.println("cordon bench: " + r.status() + ": " + r.error());
                    return 70;
                }
            }
        }
        List<Long> cpython = new java.util.ArrayList<>();
        for (int i = 0; i < Math.min(n, 50); i++) {
            long start = System.nanoTime();
            Process p = new ProcessBuilder("python3", "-I", "-S", "-c", SMALL).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                System.err.println("cordon bench: python3 failed");
                return 70;
            }
            cpython.add(System.nanoTime() - start);
        }
        java.util.Collections.sort(cordonNanos);
        java.util.Collections.sort(cpython);
        double median = cordonNanos.get(n / 2) / 1e6;
        double p99 = cordonNanos.get(Math.min(n - 1, n * 99 / 100)) / 1e6;
        double py = cpython.get(cpython.size() / 2) / 1e6;
        System.out.printf("small run, fresh context per run (%d runs after 20 warm-up runs):%n", n);
        System.out.printf("  Cordon  median %8.1f ms   p99 %8.1f ms%n", median, p99);
        System.out.printf("  python3 -I -S -c as a subprocess: median %6.1f ms (%d runs); Cordon/CPython %.2fx%n",
                py, cpython.size(), median / py);
        return 0;
    }

    private static double micros(Object nanos) {
        return ((Number) nanos).doubleValue() / 1_000.0;
    }
}
