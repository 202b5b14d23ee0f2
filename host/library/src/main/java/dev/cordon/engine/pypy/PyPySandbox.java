package dev.cordon.engine.pypy;

import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.Outcome;
import dev.cordon.engine.RunSpec;
import dev.cordon.engine.Sandbox;

/**
 * One run's place in the PyPy backend: the call's filesystem and working directory, and the interpreter
 * process once {@link #run} has started it. Serves a single run (no sessions); cancelling kills the process.
 */
final class PyPySandbox implements Sandbox {

    private final PyPyEngine engine;
    private final VirtualFileSystem fileSystem;
    private final String cwd;
    private volatile PyPyRun current;
    private volatile boolean cancelled;

    PyPySandbox(PyPyEngine engine, VirtualFileSystem fileSystem, String cwd) {
        this.engine = engine;
        this.fileSystem = fileSystem;
        this.cwd = cwd;
    }

    @Override
    public Outcome run(RunSpec spec) {
        if (current != null) {
            throw new IllegalStateException("a PyPy sandbox serves one run");
        }
        fileSystem.recordTo(spec.audit());
        PyPyRun run = PyPyRun.prepare(engine, fileSystem, spec.code(), spec.sourceName(), spec.argv(), spec.bridge(),
                spec.stdin(), spec.stdout(), spec.stderr(), spec.limits().memoryBytes(), spec.audit(), cwd);
        current = run;
        if (cancelled) {
            run.kill();
        }
        return run.run();
    }

    @Override
    public void cancel() {
        cancelled = true;
        PyPyRun run = current;
        if (run != null) {
            run.kill();
        }
    }

    @Override
    public long cpuNanos() {
        PyPyRun run = current;
        return run == null ? 0 : run.cpuNanos();
    }

    @Override
    public boolean usable() {
        return false;
    }

    @Override
    public void close() {
        cancel();
    }
}
