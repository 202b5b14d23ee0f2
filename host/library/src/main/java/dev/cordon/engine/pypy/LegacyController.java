package dev.cordon.engine.pypy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.PosixException;
import dev.cordon.capabilities.posix.Stat;
import dev.cordon.capabilities.posix.VirtualProcess;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The legacy protocol (PyPy 1.x to 7.x): the interpreter writes a marshalled function name such as
 * {@code ll_os.ll_os_open} and a tuple of arguments; the controller answers {@code 0} and the result, or an
 * exception code ({@code 1} and an errno for OSError). Strictly one request, one reply.
 */
final class LegacyController extends Controller {

    private static final String OS = "ll_os.ll_os_";
    private static final String TIME = "ll_time.ll_time_";
    private static final int OS_ERROR = 1;
    private static final int VALUE_ERROR = 4;
    private static final int RUNTIME_ERROR = 9;

    LegacyController(VirtualProcess process, AuditTrail audit) {
        super(process, audit);
    }

    @Override
    void serve(InputStream fromChild, OutputStream toChild) throws IOException {
        ChildStream in = new ChildStream(new BufferedInputStream(fromChild, 65536));
        OutputStream out = new BufferedOutputStream(toChild, 65536);
        while (true) {
            Object name = Marshal.read(in);
            if (name == Marshal.END) {
                return;
            }
            if (!(name instanceof byte[] nameBytes) || nameBytes.length > 255) {
                throw new ProtocolException("expected a function name, got " + Marshal.describe(name));
            }
            Object args = Marshal.read(in);
            if (!(args instanceof Marshal.Tuple tuple)) {
                throw new ProtocolException("expected an argument tuple, got "
                        + (args == Marshal.END ? "the end of the stream" : Marshal.describe(args)));
            }
            String function = new String(nameBytes, StandardCharsets.ISO_8859_1);
            byte[] reply = answer(function, tuple);
            if (reply == null) {
                return; // _exit: the interpreter waits for no answer
            }
            out.write(reply);
            out.flush();
        }
    }

    /** The reply to one call, or null when the call ends the process. */
    byte[] answer(String function, Marshal.Tuple args) throws ProtocolException {
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        try {
            Object result = call(function, args);
            if (result == EXIT) {
                return null;
            }
            Marshal.write(reply, 0L);
            Marshal.write(reply, result);
        } catch (PosixException e) {
            Marshal.write(reply, (long) OS_ERROR);
            Marshal.write(reply, (long) e.errno());
        } catch (Refusal r) {
            Marshal.write(reply, (long) r.code);
        }
        return reply.toByteArray();
    }

    private static final Object EXIT = new Object();

    /** An exception other than OSError, by its code in the protocol's table. */
    private static final class Refusal extends Exception {
        final int code;

        Refusal(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private Object call(String function, Marshal.Tuple a) throws PosixException, Refusal, ProtocolException {
        if (function.startsWith(TIME)) {
            return switch (function.substring(TIME.length())) {
                case "time" -> now();
                case "clock" -> clock();
                case "sleep" -> {
                    sleep(Marshal.asDouble(arg(a, 0)));
                    yield null;
                }
                default -> unknown(function);
            };
        }
        if (!function.startsWith(OS)) {
            return unknown(function);
        }
        String name = function.substring(OS.length());
        switch (name) {
            case "open": {
                byte[] path = path(a, 0);
                int flags = (int) integer(a, 1);
                refuseBytecodeCache(path, (flags & (VirtualProcess.O_ACCMODE | VirtualProcess.O_CREAT)) != 0);
                return (long) process.open(path, flags, (int) integer(a, 2));
            }
            case "read":
                return process.read((int) integer(a, 0), (int) Math.min(integer(a, 1), 1 << 20));
            case "write":
                return (long) process.write((int) integer(a, 0), Marshal.asBytes(arg(a, 1)));
            case "close":
                process.close((int) integer(a, 0));
                return null;
            case "stat":
                return stat(process.stat(path(a, 0)));
            case "lstat":
                return stat(process.lstat(path(a, 0)));
            case "fstat":
                return stat(process.fstat((int) integer(a, 0)));
            case "lseek":
                return new Marshal.Int64(process.lseek((int) integer(a, 0), integer(a, 1), (int) integer(a, 2)));
            case "ftruncate":
                process.ftruncate((int) integer(a, 0), integer(a, 1));
                return null;
            case "fsync", "fdatasync":
                process.fsync((int) integer(a, 0));
                return null;
            case "access":
                try {
                    process.access(path(a, 0), (int) integer(a, 1));
                    return true;
                } catch (PosixException e) {
                    return false;
                }
            case "isatty":
                if (integer(a, 0) >= 0 && integer(a, 0) <= 2) {
                    // The standard streams look like terminals, as PyPy's own controller shows them: a PyPy
                    // 7.3 legacy build that finds stdout is no terminal reopens it through C fcntl(), which
                    // that build cannot sandbox and dies of.
                    return true;
                }
                try {
                    process.isatty((int) integer(a, 0));
                    return true;
                } catch (PosixException e) {
                    return false;
                }
            case "getcwd":
                return process.getcwd().getBytes(StandardCharsets.UTF_8);
            case "chdir":
                process.chdir(path(a, 0));
                return null;
            case "listdir": {
                List<Object> names = new ArrayList<>();
                for (String n : process.listdir(path(a, 0))) {
                    names.add(n.getBytes(StandardCharsets.UTF_8));
                }
                return names;
            }
            case "mkdir":
                process.mkdir(path(a, 0), (int) integer(a, 1));
                return null;
            case "rmdir":
                process.rmdir(path(a, 0));
                return null;
            case "unlink": {
                byte[] path = path(a, 0);
                refuseBytecodeCache(path, true);
                process.unlink(path);
                return null;
            }
            case "rename":
                process.rename(path(a, 0), path(a, 1));
                return null;
            case "chmod":
                process.chmod(path(a, 0), (int) integer(a, 1));
                return null;
            case "utime": {
                Object times = arg(a, 1);
                double now = now();
                if (times instanceof Marshal.Tuple t && t.size() == 2) {
                    process.utime(path(a, 0), Marshal.asDouble(t.get(0)), Marshal.asDouble(t.get(1)));
                } else {
                    process.utime(path(a, 0), now, now);
                }
                return null;
            }
            case "readlink":
                return process.readlink(path(a, 0));
            case "symlink":
                process.symlink(path(a, 0), path(a, 1));
                return null;
            case "umask":
                return (long) process.umask((int) integer(a, 0));
            case "strerror":
                return Errno.message((int) integer(a, 0)).getBytes(StandardCharsets.US_ASCII);
            case "getenv":
                path(a, 0);
                return null;
            case "envitems", "envkeys":
                return List.of();
            case "getuid", "geteuid":
                return (long) process.uid();
            case "getgid", "getegid":
                return (long) process.gid();
            case "getpid", "getpgrp":
                return (long) PID;
            case "getppid":
                return 1L;
            case "uname":
                return Marshal.Tuple.of(bytes("Linux"), bytes("sandbox"), bytes("0"), bytes("#1"),
                        bytes("x86_64"));
            case "_exit":
                exited((int) integer(a, 0));
                return EXIT;
            default:
                if (PROCESS_CALLS.contains(name)) {
                    deny(name);
                    throw new PosixException(Errno.EPERM);
                }
                if (function.contains("__")) {
                    throw new Refusal(VALUE_ERROR);
                }
                return unknown(function);
        }
    }

    private Object unknown(String function) throws Refusal {
        audit.denied("process", "call", function, "no such system call in the sandbox");
        throw new Refusal(RUNTIME_ERROR);
    }

    private static void sleep(double seconds) {
        if (seconds > 0) {
            try {
                Thread.sleep((long) Math.min(seconds * 1000, Long.MAX_VALUE / 2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The 10-tuple {@code rposix_stat} reads: {@code iIIiiiIfff}. */
    static Marshal.Tuple stat(Stat s) {
        return Marshal.Tuple.of((long) s.mode(), new Marshal.Int64(s.inode()), new Marshal.Int64(s.device()),
                s.links(), (long) s.uid(), (long) s.gid(), new Marshal.Int64(s.size()), (double) s.atimeSeconds(),
                (double) s.mtimeSeconds(), (double) s.ctimeSeconds());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static Object arg(Marshal.Tuple a, int i) throws ProtocolException {
        if (i >= a.size()) {
            throw new ProtocolException("a call with " + a.size() + " arguments where at least " + (i + 1)
                    + " were expected");
        }
        return a.get(i);
    }

    private static long integer(Marshal.Tuple a, int i) throws ProtocolException {
        return Marshal.asLong(arg(a, i));
    }

    private static byte[] path(Marshal.Tuple a, int i) throws ProtocolException {
        return Marshal.asBytes(arg(a, i));
    }
}
