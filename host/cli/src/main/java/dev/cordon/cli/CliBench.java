package dev.cordon.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code cordon bench cli}: {@code ./cordon run -c 'print(1)'} as a shell runs it, one command after another:
 * the first call (which starts the user's background process), then calls once it is up and settled, back to back
 * and then one a second, and the same command with {@code --no-daemon}; beside it, {@code python3 -I -S -c 'print(1)'} started the same way.
 * The background process is a private one of this bench (its own socket directory), stopped at the end.
 */
final class CliBench {

    private static final String CODE = "print(1)";
    /** The pause before each command of the paced series. */
    private static final Duration PAUSE = Duration.ofSeconds(1);

    private final int samples;
    private final Duration warmup;
    private final Supplier<String> python;
    private final Consumer<BenchCommand.Row> rows;

    CliBench(int samples, Duration warmup, Supplier<String> python, Consumer<BenchCommand.Row> rows) {
        this.samples = samples;
        this.warmup = warmup;
        this.python = python;
        this.rows = rows;
    }

    void run() throws Exception {
        String home = System.getProperty("cordon.home");
        if (home == null) {
            throw new IllegalStateException("the cli bench runs the cordon launcher; start it through ./cordon");
        }
        Path launcher = Path.of(home, "cordon");
        Path sockets = Files.createTempDirectory("cordon-bench-cli");
        try {
            List<Long> pythonNanos = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                pythonNanos.add(timed(sockets, python.get(), "-I", "-S", "-c", CODE));
            }
            double py = median(pythonNanos);

            double first = timed(sockets, launcher.toString(), "run", "-c", CODE) / 1e6;
            rows.accept(new BenchCommand.Row("cli: ./cordon run -c 'print(1)', first call (starts the background process)",
                    first, "ms", "python3", py, null, null));
            long until = System.nanoTime() + warmup.toNanos();
            int warm = 0;
            while (System.nanoTime() < until || warm < 3) {
                timed(sockets, launcher.toString(), "run", "-c", CODE);
                warm++;
            }
            List<Long> daemon = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                daemon.add(timed(sockets, launcher.toString(), "run", "-c", CODE));
            }
            double median = median(daemon);
            rows.accept(new BenchCommand.Row("cli: ./cordon run -c 'print(1)', background process up (median of "
                    + samples + ")", median, "ms", "python3", py, "<= 150 ms", median <= 150));
            rows.accept(new BenchCommand.Row("  p90 of those", percentile(daemon, 0.9), "ms", "python3",
                    percentile(pythonNanos, 0.9), null, null));
            // As a person types commands, or a script that does other work between them: one a second, so that the
            // process has prepared the next context (and imported the preloaded modules into it) in between.
            List<Long> paced = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                Thread.sleep(PAUSE.toMillis());
                paced.add(timed(sockets, launcher.toString(), "run", "-c", CODE));
            }
            double pacedMedian = median(paced);
            rows.accept(new BenchCommand.Row("cli: ./cordon run -c 'print(1)', one a second (median of " + samples + ")",
                    pacedMedian, "ms", "python3", py, "<= 150 ms", pacedMedian <= 150));
            List<Long> alone = new ArrayList<>();
            for (int i = 0; i < Math.min(samples, 3); i++) {
                alone.add(timed(sockets, launcher.toString(), "run", "--no-daemon", "-c", CODE));
            }
            rows.accept(new BenchCommand.Row("cli: ./cordon run --no-daemon -c 'print(1)' (a JVM of its own, median of "
                    + alone.size() + ")", median(alone), "ms", "python3", py, null, null));
        } finally {
            try {
                command(sockets, launcher.toString(), "daemon", "stop");
            } finally {
                try (var files = Files.walk(sockets)) {
                    files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** Runs a command as a shell would, with this bench's socket directory; its wall time in nanoseconds. */
    private static long timed(Path sockets, String... command) throws IOException, InterruptedException {
        long start = System.nanoTime();
        command(sockets, command);
        return System.nanoTime() - start;
    }

    private static void command(Path sockets, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("CORDON_DAEMON_DIR", sockets.toString());
        pb.environment().remove("CORDON_NO_DAEMON");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || (command[command.length - 1].equals(CODE) && !out.equals("1\n"))) {
            throw new IllegalStateException(String.join(" ", command) + " ended with " + p.exitValue() + ": " + out);
        }
    }

    /** The median of {@code nanos}, in milliseconds. */
    static double median(List<Long> nanos) {
        return percentile(nanos, 0.5);
    }

    /** The {@code q} quantile of {@code nanos} (0.9 for p90), in milliseconds. */
    static double percentile(List<Long> nanos, double q) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) (q * sorted.size()))) / 1e6;
    }
}
