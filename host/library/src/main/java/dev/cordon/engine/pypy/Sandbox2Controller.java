package dev.cordon.engine.pypy;

import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.posix.PosixException;
import dev.cordon.capabilities.posix.Stat;
import dev.cordon.capabilities.posix.VirtualProcess;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sandbox-2 protocol (PyPy's {@code sandbox-2} branches, 2019-2020): the interpreter names a C function
 * with its signature, such as {@code open(pii)i}, and sends its arguments as raw 8-byte words; pointers are
 * addresses in the interpreter's memory, which the controller reads ({@code R}, {@code Z}), writes
 * ({@code W}), allocates ({@code M}) and frees ({@code F}) before it sets {@code errno} ({@code E}) and
 * sends the result.
 *
 * <p>Every function the interpreter can call is in {@link #SIGNATURES}; a binary whose capability dump lists
 * one that is not is refused before any guest code runs, and a call to an unknown function at run time ends
 * the run.
 */
final class Sandbox2Controller extends Controller {

    /** The version of the protocol a binary reports in its capability dump. */
    static final String VERSION = "20001";

    /** The longest path read at once; longer ones are read again with {@link VirtualProcess#PATH_MAX}. */
    private static final int PATH_READ = 256;
    private static final int STAT_SIZE = 144;
    private static final int DIRENT_SIZE = 280;
    private static final int MAX_BUFFER = 1 << 20;

    /** The functions this controller serves, as their signatures; everything a PyPy 2.7 build lists. */
    static final Set<String> SIGNATURES = new TreeSet<>(List.of(
            "_exit(i)v", "_pypy_init_free(p)v", "_pypy_init_home()p", "access(pi)i", "chdir(p)i", "chmod(pi)i",
            "chown(pii)i", "chroot(p)i", "clock_getres(ip)i", "clock_gettime(ip)i", "close(i)i", "closedir(p)i",
            "confstr(ipi)i", "ctermid(p)p", "dup(i)i", "dup2(ii)i", "execv(pp)i", "execve(ppp)i", "fchdir(i)i",
            "fchmod(ii)i", "fchown(iii)i", "fcntl(iii)i", "fdatasync(i)i", "fork()i", "forkpty(pppp)i",
            "fpathconf(ii)i", "fstat64(ip)i", "fstatvfs(ip)i", "fsync(i)i", "ftruncate(ii)i", "get_environ()p",
            "getcwd(pi)p", "getegid()i", "getenv(p)p", "geteuid()i", "getgid()i", "getgroups(ip)i",
            "getloadavg(pi)i", "getlogin()p", "getpgid(i)i", "getpgrp()i", "getpid()i", "getppid()i",
            "getresgid(ppp)i", "getresuid(ppp)i", "getrusage(ip)i", "getsid(i)i", "gettimeofday(pp)i",
            "getuid()i", "initgroups(pi)i", "isatty(i)i", "kill(ii)i", "killpg(ii)i", "lchown(pii)i",
            "link(pp)i", "lseek(iii)i", "lstat64(pp)i", "mkdir(pi)i", "mkfifo(pi)i", "mknod(pii)i", "nice(i)i",
            "open(pii)i", "opendir(p)p", "openpty(ppppp)i", "pathconf(pi)i", "pipe(p)i", "pipe2(pi)i",
            "putenv(p)i", "pypy__allow_attach()v", "read(ipi)i", "readdir(p)p", "readlink(ppi)i", "rename(pp)i",
            "rmdir(p)i", "select(ipppp)i", "setegid(i)i", "seteuid(i)i", "setgid(i)i", "setgroups(ip)i",
            "setpgid(ii)i", "setpgrp()i", "setregid(ii)i", "setresgid(iii)i", "setresuid(iii)i",
            "setreuid(ii)i", "setsid()i", "setuid(i)i", "stat64(pp)i", "statvfs(pp)i", "symlink(pp)i",
            "sysconf(i)i", "system(p)i", "tcgetpgrp(i)i", "tcsetpgrp(ii)i", "time(p)i", "times(p)i",
            "ttyname(i)p", "umask(i)i", "uname(p)i", "unlink(p)i", "unsetenv(p)i", "utime(pp)i", "utimes(pp)i",
            "waitpid(ipi)i", "write(ipi)i", "rpy_cpu_count()i", "rpy_get_inheritable(i)i",
            "rpy_set_inheritable(ii)i", "sched_yield()i", "sync()v", "ctime(p)p", "fileno(p)i", "tzset()v"));

    private final String home;
    private ChildStream in;
    private OutputStream out;
    private final Map<Long, Directory> directories = new HashMap<>();
    private final Map<String, Handler> handlers;

    private record Directory(List<String> names, int[] next) {
    }

    /**
     * @param home what {@code _pypy_init_home} answers: the virtual path of the interpreter, next to which it
     *             looks for its standard library
     */
    Sandbox2Controller(VirtualProcess process, AuditTrail audit, GuestWorld world, String home) {
        super(process, audit, world);
        this.home = home;
        this.handlers = handlers();
    }

    /** One call: the C function's name and signature and its raw argument words. */
    record Call(String signature, long[] args) {
        String name() {
            return signature.substring(0, signature.indexOf('('));
        }

        char resultKind() {
            return signature.charAt(signature.length() - 1);
        }
    }

    @Override
    void serve(InputStream fromChild, OutputStream toChild) throws IOException {
        in = new ChildStream(new BufferedInputStream(fromChild, 65536));
        out = new BufferedOutputStream(toChild, 65536);
        while (true) {
            Call call = readCall(in);
            if (call == null) {
                return;
            }
            if (!handle(call)) {
                return;
            }
            out.flush();
        }
    }

    /** Reads one call, or null at a clean end of stream. */
    static Call readCall(ChildStream in) throws IOException {
        int length = in.next();
        if (length < 0) {
            return null;
        }
        if (length == 0) {
            throw new ProtocolException("an empty function signature");
        }
        String signature = new String(in.readBytes(length, 255, "a signature"), StandardCharsets.ISO_8859_1);
        int open = signature.indexOf('(');
        int close = signature.indexOf(')');
        if (open <= 0 || close != signature.length() - 2 || close < open
                || !signature.substring(open + 1, close).matches("[ifp]*")
                || "ifpv".indexOf(signature.charAt(signature.length() - 1)) < 0
                || !signature.substring(0, open).matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new ProtocolException("malformed function signature " + printable(signature));
        }
        long[] args = new long[close - open - 1];
        for (int i = 0; i < args.length; i++) {
            args[i] = in.readInt64();
        }
        return new Call(signature, args);
    }

    /** One C function: its raw argument words in; it writes its reply (a result, or memory then a result). */
    @FunctionalInterface
    private interface Handler {
        void answer(long[] a) throws IOException, PosixException;
    }

    /** A handler that answers 0 after doing its work. */
    @FunctionalInterface
    private interface Action {
        void run(long[] a) throws IOException, PosixException;
    }

    private Handler zero(Action action) {
        return a -> {
            action.run(a);
            result(0);
        };
    }

    /** The handler of each function the controller serves, by name (the signatures are {@link #SIGNATURES}). */
    private Map<String, Handler> handlers() {
        Map<String, Handler> h = new HashMap<>();
        h.put("open", this::open);
        h.put("close", zero(a -> process.close((int) a[0])));
        h.put("read", this::read);
        h.put("write", this::write);
        h.put("lseek", a -> result(process.lseek((int) a[0], a[1], (int) a[2])));
        h.put("ftruncate", zero(a -> process.ftruncate((int) a[0], a[1])));
        h.put("fsync", zero(a -> process.fsync((int) a[0])));
        h.put("fdatasync", zero(a -> process.fsync((int) a[0])));
        h.put("stat64", a -> statResult(process.stat(path(a[0])), a[1]));
        h.put("lstat64", a -> statResult(process.lstat(path(a[0])), a[1]));
        h.put("fstat64", a -> statResult(process.fstat((int) a[0]), a[1]));
        h.put("access", zero(a -> process.access(path(a[0]), (int) a[1])));
        h.put("isatty", a -> {
            process.isatty((int) a[0]);
            result(1);
        });
        h.put("getcwd", this::getcwd);
        h.put("chdir", zero(a -> process.chdir(path(a[0]))));
        h.put("mkdir", zero(a -> process.mkdir(path(a[0]), (int) a[1])));
        h.put("rmdir", zero(a -> process.rmdir(path(a[0]))));
        h.put("unlink", zero(a -> {
            byte[] path = path(a[0]);
            refuseBytecodeCache(path, true);
            process.unlink(path);
        }));
        h.put("rename", zero(a -> process.rename(path(a[0]), path(a[1]))));
        h.put("chmod", zero(a -> process.chmod(path(a[0]), (int) a[1])));
        Handler utime = zero(a -> {
            double now = now();
            process.utime(path(a[0]), now, now);
        });
        h.put("utime", utime);
        h.put("utimes", utime);
        h.put("readlink", this::readlink);
        h.put("symlink", zero(a -> process.symlink(path(a[0]), path(a[1]))));
        h.put("umask", a -> result(process.umask((int) a[0])));
        h.put("opendir", this::opendir);
        h.put("readdir", this::readdir);
        h.put("closedir", this::closedir);
        h.put("gettimeofday", this::gettimeofday);
        h.put("time", this::time);
        h.put("clock_gettime", this::clockGettime);
        h.put("clock_getres", zero(a -> {
            if (a[1] != 0) {
                write(a[1], words(0, 1));
            }
        }));
        for (String none : List.of("getenv", "ctermid", "getlogin", "ctime")) {
            h.put(none, a -> pointer(0));
        }
        h.put("ttyname", a -> {
            throw new PosixException(Errno.ENOTTY);
        });
        h.put("get_environ", a -> pointer(malloc(new byte[8])));
        h.put("_pypy_init_home", a -> pointer(malloc(cString(home))));
        h.put("_pypy_init_free", zero(a -> free(a[0])));
        for (String nothing : List.of("pypy__allow_attach", "sync", "tzset", "getgroups", "rpy_get_inheritable",
                "rpy_set_inheritable", "sched_yield")) {
            h.put(nothing, a -> result(0));
        }
        h.put("getuid", a -> result(world.uid()));
        h.put("geteuid", a -> result(world.uid()));
        h.put("getgid", a -> result(world.gid()));
        h.put("getegid", a -> result(world.gid()));
        for (String pid : List.of("getpid", "getpgrp", "getpgid", "getsid")) {
            h.put(pid, a -> result(world.pid()));
        }
        h.put("getppid", a -> result(world.ppid()));
        h.put("rpy_cpu_count", a -> result(world.cpuCount()));
        h.put("getresuid", a -> resIds(a, world.uid()));
        h.put("getresgid", a -> resIds(a, world.gid()));
        h.put("sysconf", a -> result(switch ((int) a[0]) {
            case 2 -> 100;                   // _SC_CLK_TCK
            case 30 -> 4096;                 // _SC_PAGESIZE
            case 84 -> world.cpuCount();     // _SC_NPROCESSORS_ONLN
            default -> throw new PosixException(Errno.EINVAL);
        }));
        // uname answers ENOSYS, as PyPy's own controller does (the recorded traffic); the guest's os.uname is
        // the world's (cordon/_world.py), so the interpreter has no use for the C call.
        for (String absent : List.of("uname", "fcntl", "getrusage", "times", "getloadavg", "statvfs", "fstatvfs",
                "fpathconf", "pathconf", "confstr", "fchmod", "fileno")) {
            h.put(absent, a -> {
                throw new PosixException(Errno.ENOSYS);
            });
        }
        h.put("tcgetpgrp", a -> {
            throw new PosixException(Errno.ENOTTY);
        });
        for (String call : refusedCalls()) {
            h.putIfAbsent(call, a -> {
                deny(call);
                throw new PosixException(Errno.EPERM);
            });
        }
        return Map.copyOf(h);
    }

    /** Serves one call; false when it ended the process. */
    private boolean handle(Call c) throws IOException {
        if (!SIGNATURES.contains(c.signature())) {
            audit.denied("process", "call", c.signature(), "no such system call in the sandbox");
            throw new ProtocolException("the interpreter called " + printable(c.signature())
                    + ", which the sandbox does not serve");
        }
        if (c.name().equals("_exit")) {
            exited((int) c.args()[0]);
            return false;
        }
        try {
            Handler handler = handlers.get(c.name());
            if (handler == null) {
                deny(c.name());
                throw new PosixException(Errno.EPERM);
            }
            handler.answer(c.args());
        } catch (PosixException e) {
            error(c, e.errno());
        }
        return true;
    }

    private void open(long[] a) throws IOException, PosixException {
        byte[] path = path(a[0]);
        refuseBytecodeCache(path, (a[1] & (VirtualProcess.O_ACCMODE | VirtualProcess.O_CREAT)) != 0);
        result(process.open(path, (int) a[1], (int) a[2]));
    }

    private void read(long[] a) throws IOException, PosixException {
        byte[] data = process.read((int) a[0], (int) Math.min(Math.max(a[2], 0), MAX_BUFFER));
        if (data.length > 0) {
            write(a[1], data);
        }
        result(data.length);
    }

    private void write(long[] a) throws IOException, PosixException {
        if (a[2] < 0 || a[2] > MAX_BUFFER) {
            throw new PosixException(Errno.EINVAL);
        }
        result(process.write((int) a[0], read(a[1], (int) a[2])));
    }

    private void getcwd(long[] a) throws IOException, PosixException {
        byte[] cwd = cString(process.getcwd());
        if (a[1] < cwd.length) {
            throw new PosixException(Errno.ERANGE);
        }
        write(a[0], cwd);
        pointer(a[0]);
    }

    private void readlink(long[] a) throws IOException, PosixException {
        byte[] target = process.readlink(path(a[0]));
        int n = (int) Math.min(target.length, Math.max(a[2], 0));
        write(a[1], java.util.Arrays.copyOf(target, n));
        result(n);
    }

    private void opendir(long[] a) throws IOException, PosixException {
        List<String> names = process.listdir(path(a[0]));
        long dir = malloc(new byte[DIRENT_SIZE]);
        directories.put(dir, new Directory(names, new int[1]));
        pointer(dir);
    }

    private void readdir(long[] a) throws IOException, PosixException {
        Directory d = directories.get(a[0]);
        if (d == null) {
            throw new PosixException(Errno.EBADF);
        }
        if (d.next()[0] >= d.names().size()) {
            pointer(0);
        } else {
            write(a[0], dirent(d.names().get(d.next()[0]++)));
            pointer(a[0]);
        }
    }

    private void closedir(long[] a) throws IOException, PosixException {
        if (directories.remove(a[0]) == null) {
            throw new PosixException(Errno.EBADF);
        }
        free(a[0]);
        result(0);
    }

    private void gettimeofday(long[] a) throws IOException {
        long micros = System.currentTimeMillis() * 1000;
        if (a[0] != 0) {
            write(a[0], words(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000)));
        }
        result(0);
    }

    private void time(long[] a) throws IOException {
        long seconds = System.currentTimeMillis() / 1000;
        if (a[0] != 0) {
            write(a[0], words(seconds));
        }
        result(seconds);
    }

    private void clockGettime(long[] a) throws IOException, PosixException {
        long nanos = switch ((int) a[0]) {
            case 0 -> System.currentTimeMillis() * 1_000_000;
            case 1, 4, 7 -> System.nanoTime() - startNanos;
            case 2, 3 -> (long) (clock() * 1e9);
            default -> throw new PosixException(Errno.EINVAL);
        };
        write(a[1], words(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)));
        result(0);
    }

    private void resIds(long[] a, long id) throws IOException {
        for (int i = 0; i < 3; i++) {
            write(a[i], int32(id));
        }
        result(0);
    }

    /** The C way to fail: errno, then -1 (or NULL for a pointer). */
    private void error(Call c, int errno) throws IOException {
        out.write('E');
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(errno);
        out.write(b.array());
        if (c.resultKind() == 'p') {
            pointer(0);
        } else if (c.resultKind() == 'v') {
            out.write('v');
        } else {
            result(-1);
        }
    }

    private void result(long value) throws IOException {
        out.write('i');
        out.write(words(value));
    }

    private void pointer(long address) throws IOException {
        out.write('p');
        out.write(words(address));
    }

    private void statResult(Stat s, long address) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(STAT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, s.device()).putLong(8, s.inode()).putLong(16, s.links()).putInt(24, s.mode())
                .putInt(28, s.uid()).putInt(32, s.gid()).putLong(48, s.size()).putLong(56, s.blockSize())
                .putLong(64, (s.size() + 511) / 512)
                .putLong(72, s.atimeSeconds()).putLong(80, s.atimeNanos())
                .putLong(88, s.mtimeSeconds()).putLong(96, s.mtimeNanos())
                .putLong(104, s.ctimeSeconds()).putLong(112, s.ctimeNanos());
        write(address, b.array());
        result(0);
    }

    private static byte[] dirent(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(DIRENT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 1).putLong(8, 0).putShort(16, (short) DIRENT_SIZE).put(18, (byte) 0);
        b.put(19, n, 0, Math.min(n.length, 255));
        return b.array();
    }

    /** Reads a C string argument as a path. */
    private byte[] path(long address) throws IOException, PosixException {
        if (address == 0) {
            throw new PosixException(Errno.EFAULT);
        }
        byte[] p = readString(address, PATH_READ);
        if (p.length == PATH_READ) {
            p = readString(address, VirtualProcess.PATH_MAX);
        }
        return p;
    }

    private byte[] readString(long address, int max) throws IOException {
        out.write('Z');
        out.write(words(address, max));
        out.flush();
        long n = in.readInt64();
        return in.readBytes(n, max, "a C string");
    }

    private byte[] read(long address, int size) throws IOException {
        if (size == 0) {
            return new byte[0];
        }
        out.write('R');
        out.write(words(address, size));
        out.flush();
        return in.readBytes(size, size, "a buffer");
    }

    private void write(long address, byte[] data) throws IOException {
        out.write('W');
        out.write(words(address, data.length));
        out.write(data);
    }

    private long malloc(byte[] data) throws IOException {
        out.write('M');
        out.write(words(data.length));
        out.write(data);
        out.flush();
        return in.readInt64();
    }

    private void free(long address) throws IOException {
        out.write('F');
        out.write(words(address));
    }

    private static byte[] cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    static byte[] words(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    private static byte[] int32(long value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array();
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            b.append(ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("\\x%02x", (int) ch));
        }
        return b.toString();
    }

    /**
     * Parses a capability dump ({@code RPY_SANDBOX_DUMP=1}) and checks it: the version, the platform, and
     * that every function it lists has a handler here.
     *
     * @throws ProtocolException naming what does not fit
     */
    static Set<String> checkDump(String dump) throws ProtocolException {
        Map<String, String> fields = new HashMap<>();
        for (String line : dump.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        if (!VERSION.equals(fields.get("Version"))) {
            throw new ProtocolException("the binary speaks sandbox-2 version " + fields.get("Version")
                    + ", not " + VERSION);
        }
        if (!"linux2".equals(fields.get("Platform")) && !"linux".equals(fields.get("Platform"))) {
            throw new ProtocolException("the binary is built for " + fields.get("Platform") + ", not Linux");
        }
        String funcs = fields.get("Funcs");
        if (funcs == null) {
            throw new ProtocolException("the capability dump lists no functions");
        }
        Set<String> listed = new TreeSet<>(List.of(funcs.split("\\s+")));
        Set<String> unknown = new TreeSet<>(listed);
        unknown.removeAll(SIGNATURES);
        if (!unknown.isEmpty()) {
            throw new ProtocolException("the binary may call functions the sandbox does not serve: " + unknown);
        }
        return listed;
    }
}
