package dev.cordon.engine.pypy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.posix.PosixException;
import dev.cordon.capabilities.posix.VirtualProcess;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Set;
import java.util.TreeSet;

/**
 * Serves the system calls of one sandboxed interpreter until it exits. Implementations speak one wire
 * protocol; the calls themselves go to a {@link VirtualProcess}, so both protocols share one set of
 * semantics.
 */
abstract class Controller {

    /**
     * System calls beyond process control that a controller does not virtualise: descriptors, pipes and
     * terminals it has no model of, links and owners the virtual filesystem does not keep, and the host's
     * environment. Refused with EPERM, as the world's process calls are ({@link #refusedCalls()}).
     */
    static final Set<String> UNSERVED_CALLS = Set.of("openpty", "pipe", "pipe2", "mkfifo", "mknod", "link",
            "chown", "lchown", "fchown", "dup", "dup2", "fchdir", "putenv", "unsetenv", "select");

    final VirtualProcess process;
    final AuditTrail audit;
    final GuestWorld world;
    final long startNanos = System.nanoTime();
    private Integer exitStatus;

    Controller(VirtualProcess process, AuditTrail audit, GuestWorld world) {
        this.process = process;
        this.audit = audit;
        this.world = world;
    }

    /** The calls refused with EPERM: the world's process calls and those no controller serves. */
    Set<String> refusedCalls() {
        Set<String> refused = new TreeSet<>(world.processCalls());
        refused.addAll(UNSERVED_CALLS);
        return refused;
    }

    /**
     * Answers calls until the interpreter's stream ends between two messages.
     *
     * @throws ProtocolException if the interpreter breaks the protocol; the caller kills it
     * @throws IOException       if a pipe fails (the interpreter was killed, for example)
     */
    abstract void serve(InputStream fromChild, OutputStream toChild) throws IOException;

    /** The status passed to {@code _exit}, or null if the interpreter never called it. */
    Integer exitStatus() {
        return exitStatus;
    }

    void exited(int status) {
        exitStatus = status;
    }

    /**
     * Refuses, without a record in the audit trail, the interpreter's own attempts to cache compiled
     * bytecode ({@code .pyc} files next to the modules it imports): PyPy's sandboxed builds try it for every
     * import even though they cannot write, and hundreds of such denials would drown the guest's own.
     */
    static void refuseBytecodeCache(byte[] path, boolean writes) throws PosixException {
        int n = path.length;
        if (writes && n > 4 && path[n - 4] == '.' && path[n - 3] == 'p' && path[n - 2] == 'y'
                && (path[n - 1] == 'c' || path[n - 1] == 'o')) {
            throw new PosixException(Errno.EACCES);
        }
    }

    /** Records a refused process-level call; the interpreter gets EPERM. */
    void deny(String call) {
        audit.denied("process", call, "", "not available in the sandbox");
    }

    /** Seconds since the epoch, as {@code time.time()} gives them. */
    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Seconds since the run began: the interpreter's process clock. */
    double clock() {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
