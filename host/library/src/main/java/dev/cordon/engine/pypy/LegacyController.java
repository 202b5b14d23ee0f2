package dev.cordon.engine.pypy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.GuestWorld;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    private final Map<String, Handler> handlers;

    LegacyController(VirtualProcess process, AuditTrail audit, GuestWorld world) {
        super(process, audit, world);
        this.handlers = handlers();
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

    /** One system call: its arguments in, its result (or null) out. */
    @FunctionalInterface
    private interface Handler {
        Object answer(Marshal.Tuple a) throws PosixException, Refusal, ProtocolException;
    }

    /** The handler of each call the controller serves, by the name the interpreter sends. */
    private Map<String, Handler> handlers() {
        Map<String, Handler> h = new HashMap<>();
        h.put(TIME + "time", a -> now());
        h.put(TIME + "clock", a -> clock());
        h.put(TIME + "sleep", a -> {
            sleep(Marshal.asDouble(arg(a, 0)));
            return null;
        });
        h.put(OS + "open", this::open);
        h.put(OS + "read", a -> process.read((int) integer(a, 0), (int) Math.min(integer(a, 1), 1 << 20)));
        h.put(OS + "write", a -> (long) process.write((int) integer(a, 0), Marshal.asBytes(arg(a, 1))));
        h.put(OS + "close", a -> {
            process.close((int) integer(a, 0));
            return null;
        });
        h.put(OS + "stat", a -> stat(process.stat(path(a, 0))));
        h.put(OS + "lstat", a -> stat(process.lstat(path(a, 0))));
        h.put(OS + "fstat", a -> stat(process.fstat((int) integer(a, 0))));
        h.put(OS + "lseek", a -> new Marshal.Int64(process.lseek((int) integer(a, 0), integer(a, 1), (int) integer(a, 2))));
        h.put(OS + "ftruncate", a -> {
            process.ftruncate((int) integer(a, 0), integer(a, 1));
            return null;
        });
        Handler fsync = a -> {
            process.fsync((int) integer(a, 0));
            return null;
        };
        h.put(OS + "fsync", fsync);
        h.put(OS + "fdatasync", fsync);
        h.put(OS + "access", this::access);
        h.put(OS + "isatty", this::isatty);
        h.put(OS + "getcwd", a -> process.getcwd().getBytes(StandardCharsets.UTF_8));
        h.put(OS + "chdir", a -> {
            process.chdir(path(a, 0));
            return null;
        });
        h.put(OS + "listdir", this::listdir);
        h.put(OS + "mkdir", a -> {
            process.mkdir(path(a, 0), (int) integer(a, 1));
            return null;
        });
        h.put(OS + "rmdir", a -> {
            process.rmdir(path(a, 0));
            return null;
        });
        h.put(OS + "unlink", this::unlink);
        h.put(OS + "rename", a -> {
            process.rename(path(a, 0), path(a, 1));
            return null;
        });
        h.put(OS + "chmod", a -> {
            process.chmod(path(a, 0), (int) integer(a, 1));
            return null;
        });
        h.put(OS + "utime", this::utime);
        h.put(OS + "readlink", a -> process.readlink(path(a, 0)));
        h.put(OS + "symlink", a -> {
            process.symlink(path(a, 0), path(a, 1));
            return null;
        });
        h.put(OS + "umask", a -> (long) process.umask((int) integer(a, 0)));
        h.put(OS + "strerror", a -> Errno.message((int) integer(a, 0)).getBytes(StandardCharsets.US_ASCII));
        h.put(OS + "getenv", a -> {
            path(a, 0);
            return null;
        });
        h.put(OS + "envitems", a -> List.of());
        h.put(OS + "envkeys", a -> List.of());
        h.put(OS + "getuid", a -> (long) world.uid());
        h.put(OS + "geteuid", a -> (long) world.uid());
        h.put(OS + "getgid", a -> (long) world.gid());
        h.put(OS + "getegid", a -> (long) world.gid());
        h.put(OS + "getpid", a -> (long) world.pid());
        h.put(OS + "getpgrp", a -> (long) world.pid());
        h.put(OS + "getppid", a -> (long) world.ppid());
        h.put(OS + "uname", a -> Marshal.Tuple.of(world.uname().stream().map(LegacyController::utf8).toArray()));
        h.put(OS + "_exit", a -> {
            exited((int) integer(a, 0));
            return EXIT;
        });
        for (String call : refusedCalls()) {
            h.putIfAbsent(OS + call, a -> {
                deny(call);
                throw new PosixException(Errno.EPERM);
            });
        }
        return Map.copyOf(h);
    }

    private Object call(String function, Marshal.Tuple a) throws PosixException, Refusal, ProtocolException {
        Handler handler = handlers.get(function);
        if (handler != null) {
            return handler.answer(a);
        }
        if (function.startsWith(OS) && function.contains("__")) {
            throw new Refusal(VALUE_ERROR);
        }
        return unknown(function);
    }

    private Object open(Marshal.Tuple a) throws PosixException, ProtocolException {
        byte[] path = path(a, 0);
        int flags = (int) integer(a, 1);
        refuseBytecodeCache(path, (flags & (VirtualProcess.O_ACCMODE | VirtualProcess.O_CREAT)) != 0);
        return (long) process.open(path, flags, (int) integer(a, 2));
    }

    private Object access(Marshal.Tuple a) throws ProtocolException {
        try {
            process.access(path(a, 0), (int) integer(a, 1));
            return true;
        } catch (PosixException e) {
            return false;
        }
    }

    private Object isatty(Marshal.Tuple a) throws ProtocolException {
        if (integer(a, 0) >= 0 && integer(a, 0) <= 2) {
            // The standard streams look like terminals, as PyPy's own controller shows them: a PyPy 7.3 legacy
            // build that finds stdout is no terminal reopens it through C fcntl(), which that build cannot
            // sandbox and dies of.
            return true;
        }
        try {
            process.isatty((int) integer(a, 0));
            return true;
        } catch (PosixException e) {
            return false;
        }
    }

    private Object listdir(Marshal.Tuple a) throws PosixException, ProtocolException {
        List<Object> names = new ArrayList<>();
        for (String n : process.listdir(path(a, 0))) {
            names.add(n.getBytes(StandardCharsets.UTF_8));
        }
        return names;
    }

    private Object unlink(Marshal.Tuple a) throws PosixException, ProtocolException {
        byte[] path = path(a, 0);
        refuseBytecodeCache(path, true);
        process.unlink(path);
        return null;
    }

    private Object utime(Marshal.Tuple a) throws PosixException, ProtocolException {
        Object times = arg(a, 1);
        if (times instanceof Marshal.Tuple t && t.size() == 2) {
            process.utime(path(a, 0), Marshal.asDouble(t.get(0)), Marshal.asDouble(t.get(1)));
        } else {
            double now = now();
            process.utime(path(a, 0), now, now);
        }
        return null;
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

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
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
