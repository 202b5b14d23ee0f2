package dev.cordon.engine;

/**
 * One interpreter of a backend, opened over one call's filesystem: it serves one run, or a session's
 * consecutive runs where its {@link Engine} allows sessions. {@link #run} happens on the call's guest thread;
 * {@link #cancel} may come from any thread at any time.
 */
public interface Sandbox extends AutoCloseable {

    /**
     * Runs one program to its end. Never throws for anything the guest did: the guest's exceptions, a
     * cancellation and a broken interpreter all come back as an {@link Outcome}.
     */
    Outcome run(RunSpec spec);

    /**
     * Stops whatever the guest is doing, without blocking (a limit was reached); the run then ends and the
     * sandbox is no longer {@link #usable()}.
     */
    void cancel();

    /**
     * The CPU time the run has used so far in nanoseconds, for a backend whose guest runs outside the calling
     * thread; -1 when the guest thread's own CPU time is the run's.
     */
    default long cpuNanos() {
        return -1;
    }

    /**
     * The bytes the run's guest has allocated so far, for a backend whose guest runs in a process of its own
     * and is held to the memory limit there; -1 when the guest allocates on the calling thread, in this JVM.
     */
    default long allocatedBytes() {
        return -1;
    }

    /**
     * The thread that runs the guest's code in {@link #run} when it is not the calling thread, for the governor
     * to measure; null when it is the caller's. A GraalPy context prepared ahead runs on the thread that booted
     * it, the one GraalPy delivers the context's own asynchronous work to (weak reference callbacks).
     */
    default Thread guestThread() {
        return null;
    }

    /**
     * The time the last {@link #run} spent booting a context before the guest's code started, for a backend that
     * boots inside the run (a worker process given a call before its next context was ready); 0 when the run
     * found its context booted. It is part of the call's preparation, not of the guest's time.
     */
    default long bootNanos() {
        return 0;
    }

    /** Whether another run may follow in this sandbox: it was not cancelled and did not break. */
    boolean usable();

    /**
     * Whether {@code code} is an unfinished statement that more lines could complete (for a REPL).
     *
     * @throws UnsupportedOperationException on a backend without sessions
     */
    default boolean isIncomplete(String code) {
        throw new UnsupportedOperationException("this backend has no interactive sessions");
    }

    /** Releases the interpreter. */
    @Override
    void close();
}
