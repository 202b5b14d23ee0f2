package dev.cordon.engine.pypy;

import dev.cordon.Backend;
import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.VirtualProcess;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.Bridge;
import dev.cordon.engine.Outcome;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One run of the external PyPy backend: a {@code pypy-c-sandbox} process started with an empty environment
 * and a bounded address space, its system calls served by a {@link Controller} over the call's
 * {@link VirtualProcess}, and its own stderr (where the interpreter prints fatal errors) drained and capped.
 *
 * <p>{@link #kill()} may be called from any thread at any time (a limit was reached); the controller's
 * loop then ends because the pipes close. However it ends, the process and anything it started are killed
 * and reaped before {@link #run()} returns: no zombie is left.
 */
final class PyPyRun {

    /** How much of the interpreter's own stderr is kept for the result. */
    static final int STDERR_KEPT = 16 << 10;

    private final PyPyEngine runner;
    private final VirtualProcess process;
    private final CordonDevice device;
    private final AuditTrail audit;
    private final long memoryLimit;
    private volatile Process child;
    private volatile boolean killed;
    private volatile long cpuNanos;

    private final Tail guestStderr;

    PyPyRun(PyPyEngine runner, VirtualProcess process, CordonDevice device, AuditTrail audit, long memoryLimit,
            Tail guestStderr) {
        this.guestStderr = guestStderr;
        this.runner = runner;
        this.process = process;
        this.device = device;
        this.audit = audit;
        this.memoryLimit = memoryLimit;
    }

    /**
     * Prepares a run of {@code code} in the given filesystem (which must come from
     * {@link PyPyEngine#baseFileSystem()} plus the call's grants; {@code /dev/cordon} is added here).
     */
    static PyPyRun prepare(PyPyEngine runner, VirtualFileSystem fs, String code, String sourceName,
                           java.util.List<String> argv, Bridge bridge, InputStream stdin, OutputStream stdout, OutputStream stderr,
                           long memoryLimit, AuditTrail audit, String cwd) {
        CordonDevice device = new CordonDevice(code, sourceName, argv, bridge, runner.world().toText());
        Tail guestStderr = new Tail(stderr);
        VirtualProcess process = VirtualProcess.builder(fs.withMount("/dev/cordon", device))
                .stdio(stdin, stdout, guestStderr).identity(runner.world().uid(), runner.world().gid()).cwd(cwd)
                .build();
        return new PyPyRun(runner, process, device, audit, memoryLimit, guestStderr);
    }

    /**
     * The CPU time the interpreter process has used, in nanoseconds: 0 before it starts, and the last value
     * seen once it has ended (the system keeps no account of a reaped process).
     */
    long cpuNanos() {
        Process p = child;
        if (p != null) {
            long now = p.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
            if (now > cpuNanos) {
                cpuNanos = now;
            }
        }
        return cpuNanos;
    }

    /** Kills the interpreter and anything it started; the run then ends. Never blocks. */
    void kill() {
        killed = true;
        Process p = child;
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /** Runs the interpreter to its end on the calling thread. Never throws for anything the guest did. */
    Outcome run() {
        Controller controller = runner.protocol() == Backend.PyPy.Protocol.LEGACY
                ? new LegacyController(process, audit, runner.world())
                : new Sandbox2Controller(process, audit, runner.world(), PyPyEngine.EXECUTABLE);
        StderrDrain drain = null;
        try {
            Process p;
            try {
                p = command().start();
            } catch (IOException e) {
                return new Outcome(Status.INTERNAL, new GuestError("InternalError",
                        "cannot start the PyPy sandbox: " + e.getMessage(), ""));
            }
            child = p;
            if (killed) {
                kill();
            }
            drain = new StderrDrain(p.getErrorStream());
            ProtocolException broken = null;
            try {
                controller.serve(p.getInputStream(), p.getOutputStream());
            } catch (ProtocolException e) {
                broken = e;
            } catch (IOException e) {
                // A pipe closed: the process died or was killed; its exit status says which.
            }
            if (broken != null) {
                kill();
                audit.denied("process", "protocol", "", broken.getMessage());
                return new Outcome(Status.ERROR, new GuestError("SandboxProtocolError",
                        "the sandboxed interpreter broke the protocol: " + broken.getMessage(), ""));
            }
            int status = waitFor(p);
            return outcome(controller.exitStatus() != null ? controller.exitStatus() : status, drain.text());
        } finally {
            process.close();
            kill();
            Process p = child;
            if (p != null) {
                waitFor(p);
            }
            if (drain != null) {
                drain.join();
            }
        }
    }

    private Outcome outcome(int status, String stderr) {
        if (killed) {
            return new Outcome(Status.INTERNAL, new GuestError("CancelledError",
                    "the run was cancelled", ""));
        }
        GuestError error = device.error();
        String stub = lastLineContaining(stderr, "Not implemented: sandboxing for external function");
        if (stub != null) {
            // A C function compiled as an always-failing stub: the interpreter reports it on its own stderr
            // and raises whatever it makes of it (MemoryError, RuntimeError). Say what really happened.
            return new Outcome(Status.ERROR, new GuestError("NotImplementedError",
                    "this sandboxed interpreter cannot do that: " + stub.strip()
                            + (error != null ? " (it raised " + error.type() + ")" : ""),
                    error != null ? error.traceback() : stderr.strip()));
        }
        if (error != null) {
            Status s = error.type().equals("MemoryError") ? Status.MEMORY_LIMIT : Status.ERROR;
            return new Outcome(s, error);
        }
        if (status == 0) {
            return new Outcome(Status.OK, null);
        }
        String tail = stderr.strip();
        // An interpreter out of memory while reporting the error prints "operror-type: MemoryError" on the
        // guest's stderr (through the controller) and exits: look there too.
        String guestTail = guestStderr.text();
        if (tail.contains("Using too much memory") || tail.contains("MemoryError")
                || tail.contains("out of memory") || guestTail.contains("operror-type: MemoryError")) {
            return new Outcome(Status.MEMORY_LIMIT, new GuestError("MemoryError",
                    "the interpreter went past its memory limit of " + memoryLimit + " bytes", tail));
        }
        String how = status > 128 ? "was killed by signal " + (status - 128) : "exited with status " + status;
        return new Outcome(Status.ERROR, new GuestError("InterpreterError",
                "the sandboxed interpreter " + how + (tail.isEmpty() ? "" : ": " + lastLineContaining(tail, "")), tail));
    }

    private static String lastLineContaining(String text, String what) {
        String found = null;
        for (String line : text.split("\n")) {
            if (line.contains(what)) {
                found = line;
            }
        }
        return found;
    }

    /**
     * The interpreter under bash: {@code ulimit} bounds its address space (a second bound behind its own heap
     * limit), and {@code exec -a} gives it its virtual name, so that no host path reaches its
     * {@code argv[0]}. The environment is empty.
     */
    private ProcessBuilder command() {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c",
                "ulimit -S -v \"$1\" 2>/dev/null; ulimit -S -c 0; shift; exec -a \"$@\"", "cordon-pypy",
                Long.toString(addressSpaceKiB()), PyPyEngine.EXECUTABLE, runner.binary().toString()));
        cmd.addAll(runner.arguments(memoryLimit));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(new java.io.File("/"));
        pb.environment().clear();
        return pb;
    }

    /** The address space allowed: the heap limit, plus room for the interpreter's code and nursery. */
    private long addressSpaceKiB() {
        long heap = runner.heapBytes(memoryLimit);
        long bytes = heap <= 0 || heap >= Long.MAX_VALUE / 4 ? 8L << 30 : heap * 2 + (512L << 20);
        return bytes / 1024;
    }

    private static int waitFor(Process p) {
        try {
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return -1;
        }
    }

    /**
     * Reads the interpreter's stderr to its end, keeping the last {@link #STDERR_KEPT} bytes: a fatal error
     * is the last thing an interpreter prints.
     */
    private static final class StderrDrain {
        private final byte[] kept = new byte[2 * STDERR_KEPT];
        private int length;
        private final Thread thread;

        StderrDrain(InputStream in) {
            thread = Thread.ofPlatform().daemon().name("cordon-pypy-stderr").start(() -> {
                byte[] buffer = new byte[4096];
                try (in) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        synchronized (this) {
                            if (length + n > kept.length) {
                                System.arraycopy(kept, length - STDERR_KEPT, kept, 0, STDERR_KEPT);
                                length = STDERR_KEPT;
                            }
                            System.arraycopy(buffer, 0, kept, length, n);
                            length += n;
                        }
                    }
                } catch (IOException e) {
                    // The process is gone.
                }
            });
        }

        String text() {
            try {
                thread.join(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                int from = Math.max(0, length - STDERR_KEPT);
                return new String(kept, from, length - from, StandardCharsets.UTF_8);
            }
        }

        void join() {
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The guest's stderr, passed through, with its last bytes kept to read the interpreter's last words. */
    static final class Tail extends java.io.OutputStream {
        private static final int KEPT = 4096;
        private final OutputStream out;
        private final byte[] last = new byte[KEPT];
        private long written;

        Tail(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            for (int i = Math.max(off, off + len - KEPT); i < off + len; i++) {
                last[(int) (written++ % KEPT)] = b[i];
            }
            out.write(b, off, len);
        }

        synchronized String text() {
            int n = (int) Math.min(written, KEPT);
            byte[] copy = new byte[n];
            for (int i = 0; i < n; i++) {
                copy[i] = last[(int) ((written - n + i) % KEPT)];
            }
            return new String(copy, StandardCharsets.UTF_8);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
