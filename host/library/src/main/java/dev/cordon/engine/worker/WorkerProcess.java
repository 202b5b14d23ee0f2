package dev.cordon.engine.worker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One worker as its parent holds it: a child JVM started with an environment of only {@code LANG=C.UTF-8}, an
 * empty working directory and its channel (stdin, stdout) as its only link, its stderr drained and its last lines
 * kept for diagnosis.
 */
final class WorkerProcess {

    private static final int STDERR_KEPT = 16 << 10;

    private final Process process;
    private final Path directory;
    final Wire.Writer out;
    final InputStream in;
    private final byte[] tail = new byte[STDERR_KEPT];
    private long tailWritten;
    private volatile boolean dead;
    private final Thread stderrDrain;

    private WorkerProcess(Process process, Path directory) {
        this.process = process;
        this.directory = directory;
        this.out = new Wire.Writer(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
        this.in = new BufferedInputStream(process.getInputStream(), 1 << 16);
        // Platform threads for every read of a worker's pipes, here and in the engine: a virtual thread blocked in
        // a pipe's read holds its carrier. With a drainer per worker for the worker's life, a thread dump showed
        // every carrier so held and the thread that takes a worker back after its call runnable but not running;
        // from the seventh call of a cordon conformance run in worker isolation, calls waited 120 s for a worker.
        this.stderrDrain = Thread.ofPlatform().daemon().name("cordon-worker-stderr").start(this::drainStderr);
    }

    /**
     * Starts a worker and sends it the guest's world and the modules to preload; it answers {@code READY} once
     * its engine has a context booted ({@link #awaitReady}).
     */
    static WorkerProcess start(List<String> command, String world, List<String> preload) throws IOException {
        Path dir = Files.createTempDirectory("cordon-worker-");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        // Nothing of the host's environment but a UTF-8 locale, which the JVM reads to encode file names: the
        // guest's non-ASCII names would otherwise be unencodable (EINVAL) in the worker and not in process.
        pb.environment().put("LANG", "C.UTF-8");
        if ("1".equals(System.getenv("CORDON_WORKER_DEBUG"))) {
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        WorkerProcess w = new WorkerProcess(pb.start(), dir);
        w.out.send(Wire.HELLO, new Wire.Payload().text(world).text(String.join(",", preload)));
        return w;
    }

    /** Reads the worker's {@code READY}; false if it did not come in time, or something else came. */
    boolean awaitReady(Duration timeout) {
        Thread watchdog = Thread.ofPlatform().daemon().name("cordon-worker-ready-watch").start(() -> {
            try {
                Thread.sleep(timeout);
                kill();
            } catch (InterruptedException e) {
                // Ready in time.
            }
        });
        try {
            Wire.Frame f = Wire.read(in);
            return f != null && f.type() == Wire.READY && !dead;
        } catch (IOException e) {
            return false;
        } finally {
            watchdog.interrupt();
        }
    }

    boolean alive() {
        return !dead && process.isAlive();
    }

    /** Kills the worker at once (SIGKILL) and whatever it started; never blocks. */
    void kill() {
        dead = true;
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        Thread.ofPlatform().daemon().name("cordon-worker-reap").start(() -> {
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (var walk = Files.walk(directory)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temporary directory left behind.
            }
        });
    }

    /** The worker's CPU time so far, in nanoseconds (0 when the system does not say). */
    long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Whether the worker ran out of heap, as its last words on stderr say. */
    boolean ranOutOfHeap() {
        return stderrTail().contains("OutOfMemoryError");
    }

    /** The last lines a worker that ended wrote on stderr: waits a moment for them to be read. */
    String lastWords() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                stderrDrain.join(Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return stderrTail().strip();
    }

    synchronized String stderrTail() {
        int n = (int) Math.min(tailWritten, STDERR_KEPT);
        byte[] copy = new byte[n];
        for (int i = 0; i < n; i++) {
            copy[i] = tail[(int) ((tailWritten - n + i) % STDERR_KEPT)];
        }
        return new String(copy, StandardCharsets.UTF_8);
    }

    private void drainStderr() {
        byte[] buffer = new byte[8192];
        try (InputStream err = process.getErrorStream()) {
            int n;
            while ((n = err.read(buffer)) >= 0) {
                synchronized (this) {
                    for (int i = 0; i < n; i++) {
                        tail[(int) (tailWritten++ % STDERR_KEPT)] = buffer[i];
                    }
                }
            }
        } catch (IOException e) {
            // The worker is gone.
        }
    }
}
