package dev.cordon.tests;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code cordon run} handed to the user's background process, all real processes: the client in a JVM of its own
 * as the launcher starts it, the background process started by that client on first use through an installation's
 * {@code cordon} launcher (here a script that starts this JVM's class path), a Unix-domain socket between them; and
 * the native client the build makes where there is a C compiler, which needs no JVM once a process listens.
 */
class DaemonTest {

    @TempDir
    Path tmp;
    private Path home;
    private Path sockets;
    private final Map<String, String> env = new java.util.HashMap<>();

    @BeforeEach
    void installation() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        sockets = tmp.resolve("sockets");
        String java = ProcessHandle.current().info().command().orElse("java");
        Path launcher = home.resolve("cordon");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + java + "' -Xmx768m -Xss8m -XX:+UseSerialGC"
                + " -Dpolyglot.engine.WarnInterpreterOnly=false '-Dcordon.home=" + home + "' -cp '"
                + System.getProperty("java.class.path") + "' dev.cordon.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
        env.put("CORDON_DAEMON_DIR", sockets.toString());
        // The JDK the launcher chose: the native client hands over to the Java client of this JDK.
        env.put("JAVA_HOME", System.getProperty("java.home"));
        // A process a failed test leaves behind ends soon on its own.
        env.put("CORDON_DAEMON_IDLE", "2m");
    }

    @AfterEach
    void stopTheProcess() throws Exception {
        if (Files.isDirectory(sockets)) {
            client(tmp, "", "daemon", "stop");
        }
    }

    record Run(int exit, String out, String err) {
    }

    /** The native client the build makes where there is a C compiler. */
    private static final Path NATIVE = Path.of("..", "host", "cli", "target", "cordon-client").toAbsolutePath().normalize();

    /** How the launcher hands a command over: a client JVM, or the native client (which may exec that JVM). */
    enum Client { JAVA, NATIVE }

    /** The Java client as the launcher starts it, in {@code cwd}, with {@code stdin} on its standard input. */
    private Run client(Path cwd, String stdin, String... args) throws Exception {
        return client(Client.JAVA, cwd, stdin, args);
    }

    private Run client(Client kind, Path cwd, String stdin, String... args) throws Exception {
        return launch(command(kind, System.getProperty("java.class.path"), args), cwd, stdin);
    }

    /** The command line of a client; {@code jar} is what the native client would hand over to. */
    private List<String> command(Client kind, String jar, String... args) {
        List<String> cmd = new ArrayList<>();
        if (kind == Client.NATIVE) {
            assumeTrue(Files.isExecutable(NATIVE), "no C compiler built the native client");
            cmd.addAll(List.of(NATIVE.toString(), home.toString(), jar));
        } else {
            String java = ProcessHandle.current().info().command().orElse("java");
            cmd.addAll(List.of(java, "-XX:TieredStopAtLevel=1", "-Dcordon.home=" + home, "-cp", jar,
                    "dev.cordon.cli.daemon.DaemonClient"));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Run launch(List<String> cmd, Path cwd, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("the client ended").isTrue();
        return new Run(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private Path theSocket() throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(sockets, "*.sock")) {
            List<Path> found = new ArrayList<>();
            s.forEach(found::add);
            assertThat(found).hasSize(1);
            return found.get(0);
        }
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aCommandHandedOverBehavesAsInItsOwnProcess(Client kind) throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(work.resolve("greet.py"), """
                import sys, cordon
                name = input()
                print("hello", name, cordon.params["n"])
                print("to stderr", file=sys.stderr)
                sys.exit(int(input()))
                """);
        Run first = client(kind, work, "world\n5\nleft unread\n", "run", "--param", "n=7", "greet.py");
        assertThat(first.out()).isEqualTo("hello world 7\n");
        assertThat(first.err()).contains("to stderr");
        assertThat(first.exit()).as(first.err()).isEqualTo(1);

        // Relative paths are the client's: the data directory is made in its working directory.
        Run write = client(kind, work, "", "run", "--grant", "fs.tmp", "--data-dir", "state", "-c",
                "with open('/tmp/kept.txt', 'w') as f: f.write('kept')\nprint(open('/tmp/kept.txt').read())");
        assertThat(write.out()).as(write.err()).isEqualTo("kept\n");
        assertThat(write.exit()).isZero();
        try (var files = Files.walk(work.resolve("state"))) {
            assertThat(files.filter(f -> f.getFileName().toString().equals("kept.txt"))).hasSize(1);
        }

        Run limit = client(kind, work, "", "run", "--timeout", "1s", "-c", "while True: pass");
        assertThat(limit.exit()).isEqualTo(3);
        assertThat(limit.err()).contains("TIMEOUT");

        Run usage = client(kind, work, "", "run", "--no-such-option");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("--no-such-option");

        Run status = client(work, "", "daemon", "status");
        assertThat(status.out()).contains("4 command(s) served").contains("(these settings)");
        Path socket = theSocket();
        Run stop = client(work, "", "daemon", "stop");
        assertThat(stop.out()).contains("stopping");
        assertThat(socket).doesNotExist();
        assertThat(client(work, "", "daemon", "status").out()).contains("no background process is running");
    }

    @Test
    void theNativeClientFindsTheProcessTheJavaClientStartedAndNeedsNoJvm() throws Exception {
        assertThat(client(tmp, "", "run", "-c", "print('up')").out()).isEqualTo("up\n");
        // Handed a jar that is not there: had it not found the same socket, its hand-over would fail.
        Run r = launch(command(Client.NATIVE, tmp.resolve("no-such.jar").toString(), "run", "-c", "print('native')"),
                tmp, "");
        assertThat(r.out()).as(r.err()).isEqualTo("native\n");
        assertThat(r.exit()).isZero();
        assertThat(client(tmp, "", "daemon", "status").out()).contains("2 command(s) served");
    }

    @Test
    void theNativeClientRelaysTheProtocolAndEndsCleanlyOnAProcessThatBreaksIt() throws Exception {
        assertThat(client(tmp, "", "run", "-c", "print('up')").out()).isEqualTo("up\n");
        Path socket = theSocket();
        client(tmp, "", "daemon", "stop");
        List<String> cmd = command(Client.NATIVE, tmp.resolve("no-such.jar").toString(), "run", "-c", "x");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            // A process that speaks the protocol: output, a read of standard input, then an exit code.
            CompletableFuture<Run> run = CompletableFuture.supplyAsync(() -> launchUnchecked(cmd, "typed\n"));
            try (SocketChannel c = server.accept()) {
                assertThat(new String(frame(c, 'Q'), StandardCharsets.UTF_8)).isEqualTo(tmp + "\0run\0-c\0x\0");
                send(c, 'O', "out".getBytes());
                send(c, 'E', "err".getBytes());
                send(c, 'R', ByteBuffer.allocate(4).putInt(3).array());
                assertThat(new String(frame(c, 'I'), StandardCharsets.UTF_8)).isEqualTo("typ");
                send(c, 'C', ByteBuffer.allocate(4).putInt(7).array());
            }
            assertThat(run.get(60, TimeUnit.SECONDS)).isEqualTo(new Run(7, "out", "err"));
            // Broken processes: each ends the client with 70 and a message naming the process's log.
            List<byte[]> broken = List.of(
                    new byte[0],                                                             // gone before the exit code
                    "Z".getBytes(StandardCharsets.US_ASCII),                                 // an unknown frame type
                    ByteBuffer.allocate(5).put((byte) 'O').putInt(Integer.MAX_VALUE).array(), // past the bound
                    ByteBuffer.allocate(8).put((byte) 'O').putInt(100).put("ab\0".getBytes()).array(), // cut short
                    ByteBuffer.allocate(7).put((byte) 'C').putInt(2).put("ab".getBytes()).array(),   // a short code
                    new byte[] {'C', 0, 0});                                                 // a length cut short
            for (byte[] bytes : broken) {
                CompletableFuture<Run> r = CompletableFuture.supplyAsync(() -> launchUnchecked(cmd, ""));
                try (SocketChannel c = server.accept()) {
                    frame(c, 'Q');
                    c.write(ByteBuffer.wrap(bytes));
                }
                Run result = r.get(60, TimeUnit.SECONDS);
                assertThat(result.exit()).as(result.err()).isEqualTo(70);
                assertThat(result.err()).startsWith("cordon: the background process ").contains(".log)");
                assertThat(result.out()).isEmpty();
            }
        }
    }

    private Run launchUnchecked(List<String> cmd, String stdin) {
        try {
            return launch(cmd, tmp, stdin);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] frame(SocketChannel c, char type) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(5);
        while (head.hasRemaining() && c.read(head) >= 0) {
        }
        assertThat((char) head.get(0)).isEqualTo(type);
        ByteBuffer payload = ByteBuffer.allocate(head.getInt(1));
        while (payload.hasRemaining() && c.read(payload) >= 0) {
        }
        return payload.array();
    }

    private static void send(SocketChannel c, char type, byte[] payload) throws IOException {
        c.write(ByteBuffer.allocate(5 + payload.length).put((byte) type).putInt(payload.length).put(payload).flip());
    }

    @Test
    void aClientThatLeavesStopsItsCommand() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        assertThat(client(work, "", "run", "-c", "print('up')").out()).isEqualTo("up\n");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Dcordon.home=" + home, "-cp", System.getProperty("java.class.path"),
                "dev.cordon.cli.daemon.DaemonClient", "run", "--grant", "fs.tmp", "--data-dir", "state", "--timeout", "120s",
                "-c", "import time\nprint('started', flush=True)\nwhile True:\n"
                        + "    with open('/tmp/ticks', 'a') as f: f.write('x')\n    time.sleep(0.01)")
                .directory(work.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(r.readLine()).isEqualTo("started");
        assertThat(client(work, "", "daemon", "status").out()).contains("1 in flight");
        p.destroy(); // as Ctrl-C ends it: the client's JVM ends, its connection with it
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String status = "";
        while (System.nanoTime() < deadline && !(status = client(work, "", "daemon", "status").out()).contains("0 in flight")) {
            Thread.sleep(200);
        }
        assertThat(status).as("the command of a client gone, long before its 120 s limit").contains("0 in flight");
        Path ticks;
        try (var files = Files.walk(work.resolve("state"))) {
            ticks = files.filter(f -> f.getFileName().toString().equals("ticks")).findFirst().orElseThrow();
        }
        long size = Files.size(ticks);
        Thread.sleep(500);
        assertThat(Files.size(ticks)).as("nothing writes once the command stopped").isEqualTo(size);
    }

    @Test
    void malformedFramesEndOnlyTheirConnection() throws Exception {
        assertThat(client(tmp, "", "run", "-c", "print('up')").out()).isEqualTo("up\n");
        Path socket = theSocket();
        List<byte[]> hostile = List.of(
                "Z".getBytes(StandardCharsets.US_ASCII),                                  // an unknown frame type
                ByteBuffer.allocate(5).put((byte) 'Q').putInt(Integer.MAX_VALUE).array(), // a length past the bound
                ByteBuffer.allocate(5).put((byte) 'Q').putInt(-1).array(),                // a negative length
                ByteBuffer.allocate(8).put((byte) 'Q').putInt(100).put("ab\0".getBytes()).array(), // cut short
                ByteBuffer.allocate(9).put((byte) 'Q').putInt(4).put("abcd".getBytes()).array(),   // no NUL at its end
                ByteBuffer.allocate(5).put((byte) 'O').putInt(0).array(),                 // a frame only a process sends
                new byte[] {'Q', 0, 0});                                                  // a length cut short
        for (byte[] frame : hostile) {
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(socket));
                c.write(ByteBuffer.wrap(frame));
                c.shutdownOutput();
                ByteBuffer answer = ByteBuffer.allocate(64);
                // The process answers nothing and closes the connection.
                assertThat(c.read(answer)).isEqualTo(-1);
            }
        }
        Run after = client(tmp, "", "run", "-c", "print('still up')");
        assertThat(after.out()).as(after.err()).isEqualTo("still up\n");
        assertThat(client(tmp, "", "daemon", "status").out()).contains("2 command(s) served");
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aSocketDirectoryOthersMayOpenIsRefused(Client kind) throws Exception {
        Files.createDirectories(sockets);
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = client(kind, tmp, "", "run", "-c", "print(1)");
        assertThat(r.exit()).isEqualTo(70);
        assertThat(r.err()).contains("may be opened by other users").contains("CORDON_NO_DAEMON=1");
        assertThat(r.out()).isEmpty();
        try (var s = Files.list(sockets)) {
            assertThat(s).isEmpty();
        }
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwx------"));
    }

    /** Runs {@code probe} until it prints {@code expected}, which a context that has the modules prints. */
    private void untilPreloaded(String probe, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Run r;
        // The first commands may come before the process has had the time to import them.
        do {
            r = client(tmp, "", "run", "-c", probe);
            assertThat(r.exit()).as(r.err()).isZero();
            if (!r.out().equals(expected)) {
                assertThat(r.out()).isEqualTo("[]\n");
                assertThat(System.nanoTime()).as("a prepared context with the modules in time").isLessThan(deadline);
                Thread.sleep(500);
            }
        } while (!r.out().equals(expected));
    }

    @Test
    void itsPreparedContextsImportWhatCordonPreloadNamesAndABadNameIsAUsageError() throws Exception {
        String probe = "import sys\nprint(sorted(m for m in ('json', 're', 'csv') if m in sys.modules))";
        untilPreloaded(probe, "['json', 're']\n");
        env.put("CORDON_PRELOAD", "json, csv");
        untilPreloaded(probe, "['csv', 'json', 're']\n");
        env.put("CORDON_PRELOAD", "");
        Thread.sleep(2000);
        for (int i = 0; i < 3; i++) {
            assertThat(client(tmp, "", "run", "-c", probe).out()).as("nothing preloaded").isEqualTo("[]\n");
        }
        env.put("CORDON_PRELOAD", "json,os;import subprocess");
        Run bad = client(tmp, "", "run", "-c", "print(1)");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("CORDON_PRELOAD: preloadModules: 'os;import subprocess' is not a module name");
    }

    @Test
    void theProcessEndsAfterItsIdlePeriod() throws Exception {
        env.put("CORDON_DAEMON_IDLE", "1s");
        assertThat(client(tmp, "", "run", "-c", "print(2)").out()).isEqualTo("2\n");
        Path socket = theSocket();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(socket).as("the socket of a process idle for 1 s").doesNotExist();
        // The next command starts a new one.
        assertThat(client(tmp, "", "run", "-c", "print(3)").out()).isEqualTo("3\n");
    }
}
