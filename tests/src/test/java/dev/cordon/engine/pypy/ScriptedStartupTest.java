package dev.cordon.engine.pypy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.AuditTrail;
import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.posix.VirtualProcess;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.vfs.MemoryTree;
import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The full PyPy 2.7 interpreters' recorded system calls (start-up, imports, the user's script, exit) played
 * as scripted children against Cordon's controllers, over a virtual tree holding the files the recording
 * shows to exist. Every call must get an answer, succeed or fail as it did against PyPy's own controller,
 * with the same errno and the same file descriptors, and the guest's output must come out the same. The
 * differences are Cordon's on purpose: writes refused on a read-only tree answer EACCES (PyPy's controller:
 * EPERM or ENOENT).
 */
class ScriptedStartupTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @ParameterizedTest
    @ValueSource(strings = {"hello", "readfile", "readfile-S-c", "writefile-readonly", "writefile-writabletmp"})
    void legacyInterpreterRunsAsRecorded(String run) throws Exception {
        List<RecordedCalls.LegacyCall> calls = RecordedCalls.legacy("legacy-" + run + ".calls.txt");
        assertThat(calls).hasSizeGreaterThan(100);
        Set<String> files = new java.util.TreeSet<>();
        Set<String> dirs = new java.util.TreeSet<>();
        for (RecordedCalls.LegacyCall c : calls) {
            if (!c.failed() && c.args().size() > 0 && c.args().get(0) instanceof byte[] p) {
                String path = new String(p, StandardCharsets.UTF_8);
                boolean dir = c.result() instanceof Marshal.Tuple t && ((Long) t.get(0) & 0170000) == 0040000;
                (dir ? dirs : files).add(path);
            }
        }
        VirtualProcess process = process("/bin", "pypy-c", files, dirs, run);
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        StringBuilder recordedOut = new StringBuilder();
        StringBuilder recordedErr = new StringBuilder();
        for (RecordedCalls.LegacyCall c : calls) {
            Marshal.write(requests, c.function().getBytes(StandardCharsets.US_ASCII));
            Marshal.write(requests, asSent(c.args()));
            if (c.function().endsWith("_write") && (Long) c.args().get(0) <= 2L) {
                ((Long) c.args().get(0) == 1L ? recordedOut : recordedErr)
                        .append(new String((byte[]) c.args().get(1), StandardCharsets.UTF_8));
            }
        }
        byte[] replies = ScriptedChild.raw(new LegacyController(process, new AuditTrail(), GuestWorld.DEFAULT), requests.toByteArray());
        process.close();

        List<Object> values = TranscriptReplayTest.decodeAll(replies);
        int at = 0;
        for (RecordedCalls.LegacyCall c : calls) {
            long code = (Long) values.get(at++);
            String what = c.number() + " " + c.function() + " " + describe(c.args());
            if (c.failed()) {
                assertThat(code).as(what).isEqualTo(1L);
                int errno = ((Long) values.get(at++)).intValue();
                assertThat(errno).as(what).isIn(expectedErrno(c.function(), c.args(),
                        ((PythonLiteral.Failure) c.result()).errno()));
                continue;
            }
            assertThat(code).as(what).isEqualTo(0L);
            Object ours = values.get(at++);
            if (c.function().endsWith("_open") || c.function().endsWith("_write")
                    || c.function().endsWith("_access") || c.function().endsWith("_isatty")) {
                assertThat(ours).as(what).isEqualTo(c.result());
            } else if (c.result() instanceof Marshal.Tuple t && t.size() == 10) {
                assertThat(((Long) ((Marshal.Tuple) ours).get(0)) & ~0222).as(what).isEqualTo((Long) t.get(0) & ~0222);
            }
        }
        assertThat(at).isEqualTo(values.size());
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo(recordedOut.toString());
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo(recordedErr.toString());
        assertThat(recordedOut.length() + recordedErr.length()).isPositive();
        if (run.equals("writefile-writabletmp")) {
            assertThat(Files.readString(tmp.resolve("out.txt"))).isEqualTo("written inside the sandbox\n");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "readfile", "readfile-S-c", "writefile-readonly", "writefile-writabletmp"})
    void sandbox2InterpreterRunsAsRecorded(String run) throws Exception {
        List<RecordedCalls.Sandbox2Call> calls = RecordedCalls.sandbox2("sb2-" + run + ".calls.txt");
        assertThat(calls).hasSizeGreaterThan(300);
        Set<String> found = new java.util.TreeSet<>();
        StringBuilder recordedOut = new StringBuilder();
        StringBuilder recordedErr = new StringBuilder();
        for (RecordedCalls.Sandbox2Call c : calls) {
            if (!c.failed() && c.signature().matches("(stat64|lstat64|access|open)\\(.*") && c.args().length > 0) {
                found.add(new String(c.memory().get(c.args()[0]), StandardCharsets.UTF_8));
            }
            if (c.signature().equals("write(ipi)i") && c.args()[0] <= 2) {
                (c.args()[0] == 1 ? recordedOut : recordedErr)
                        .append(new String(c.memory().get(c.args()[1]), StandardCharsets.UTF_8));
            }
        }
        Set<String> dirs = new java.util.TreeSet<>();
        Set<String> files = new java.util.TreeSet<>();
        for (String p : found) {
            boolean parent = found.stream().anyMatch(q -> q.startsWith(p + "/"));
            (parent ? dirs : files).add(p);
        }
        dirs.addAll(List.of("/lib/lib-python", "/lib/lib_pypy"));
        VirtualProcess process = process("/lib", "pypy", files, dirs, run);
        List<ScriptedChild.Answer> answers = ScriptedChild.sandbox2(
                new Sandbox2Controller(process, new AuditTrail(), GuestWorld.DEFAULT, "/lib/pypy"), calls);
        process.close();

        assertThat(answers).hasSameSizeAs(calls);
        for (int i = 0; i < calls.size(); i++) {
            RecordedCalls.Sandbox2Call c = calls.get(i);
            ScriptedChild.Answer a = answers.get(i);
            String what = c.number() + " " + c.signature();
            assertThat(a.failed()).as(what).isEqualTo(c.failed());
            if (c.failed()) {
                assertThat(a.errno()).as(what).isIn(expectedErrno(c.signature(), null, c.errno()));
            } else if (c.signature().matches("(open|write|read|access|close)\\(.*")
                    && !(c.signature().startsWith("read") && c.args()[0] > 2)) {
                assertThat(a.value()).as(what).isEqualTo(c.result());
            }
        }
        assertThat(stdout.toString(StandardCharsets.UTF_8)).isEqualTo(recordedOut.toString());
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo(recordedErr.toString());
        assertThat(recordedOut.length() + recordedErr.length()).isPositive();
        if (run.equals("writefile-writabletmp")) {
            assertThat(Files.readString(tmp.resolve("out.txt"))).isEqualTo("written inside the sandbox\n");
        }
    }

    /** The errno Cordon gives where PyPy's controller gave {@code recorded}. */
    private static List<Integer> expectedErrno(String function, Marshal.Tuple args, int recorded) {
        boolean writes = function.contains("unlink") || function.contains("mkdir") || function.contains("rmdir")
                || function.contains("open") && (args == null || (Long) args.get(1) != 0L);
        if (writes && (recorded == Errno.EPERM || recorded == Errno.ENOENT)) {
            return List.of(recorded, Errno.EACCES, Errno.ENOENT);
        }
        return List.of(recorded);
    }

    /**
     * The tree the recording implies: the interpreter at {@code home/exe}, its library with the files and
     * directories seen (contents are elided in the recordings: empty here), and /tmp with the file the
     * scripts read.
     */
    private VirtualProcess process(String home, String exe, Set<String> files, Set<String> dirs, String run)
            throws Exception {
        Files.writeString(tmp.resolve("x"), "hello from the virtual /tmp/x\n");
        Files.writeString(tmp.resolve(run.contains("writefile") ? "writefile.py" : run.startsWith("hello")
                ? "hello.py" : "readfile.py"), "# the script's source is read through /tmp\n");
        VirtualFileSystem.Builder fs = VirtualFileSystem.builder().mount(home, new InterpreterTree(exe))
                .mount("/tmp", run.equals("writefile-readonly") ? new HostTree(tmp) : HostTree.writable(tmp,
                        Quota.DEFAULT));
        for (String lib : List.of("lib-python", "lib_pypy")) {
            String root = home + "/" + lib;
            Map<String, byte[]> tree = new TreeMap<>();
            for (String f : files) {
                if (f.startsWith(root + "/")) {
                    tree.put(f.substring(root.length() + 1), new byte[0]);
                }
            }
            for (String d : dirs) {
                if (d.startsWith(root + "/") && files.stream().noneMatch(f -> f.startsWith(d + "/"))) {
                    tree.put(d.substring(root.length() + 1) + "/.directory", new byte[0]);
                }
            }
            tree.put(".root", new byte[0]);
            fs.mount(root, new MemoryTree(tree, Instant.EPOCH));
        }
        return VirtualProcess.builder(fs.build()).stdio(java.io.InputStream.nullInputStream(), stdout, stderr)
                .build();
    }

    /** The arguments as the interpreter sends them: every integer with the 8-byte tag. */
    private static Object asSent(Object value) {
        if (value instanceof Long l) {
            return new Marshal.Int64(l);
        }
        if (value instanceof Marshal.Tuple t) {
            List<Object> items = new ArrayList<>();
            for (Object o : t.items()) {
                items.add(asSent(o));
            }
            return new Marshal.Tuple(items);
        }
        return value;
    }

    private static String describe(Marshal.Tuple args) {
        List<String> parts = new ArrayList<>();
        for (Object o : args.items()) {
            parts.add(o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o));
        }
        return parts.toString();
    }
}
