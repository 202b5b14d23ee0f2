package dev.cordon.cli.daemon;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * {@code cordon run} and {@code cordon repl} as a short-lived JVM starts them: hands the command line and the
 * working directory to the user's background process (starting it on first use), then relays standard input
 * as the command reads it, standard output and error as they are written, and ends with the command's exit
 * code. Also {@code cordon daemon status} and {@code cordon daemon stop}. Uses nothing beyond {@code java.base},
 * so that its JVM starts in tens of milliseconds.
 */
public final class DaemonClient {

    /** The exit code of a command that could not be handed over (the process did not start or broke off). */
    static final int EXIT_INTERNAL = 70;
    private static final long START_MILLIS = 180_000;

    private final Path home;
    private final Map<String, String> env;
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    /**
     * @param home the installation's directory, where the {@code cordon} launcher is
     */
    DaemonClient(Path home, Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
        this.home = home;
        this.env = env;
        this.in = in;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        String home = System.getProperty("cordon.home");
        if (home == null) {
            System.err.println("cordon: the launcher sets -Dcordon.home; start this through ./cordon");
            System.exit(2);
        }
        DaemonClient client = new DaemonClient(Path.of(home), System.getenv(), System.in, System.out, System.err);
        int code = client.execute(List.of(args));
        System.out.flush();
        System.err.flush();
        // halt, not exit: the thread that waits on standard input must not hold the JVM, and there is nothing to clean.
        Runtime.getRuntime().halt(code);
    }

    /** {@code cordon daemon status} or {@code stop} from the full command line; returns the exit code. */
    public static int control(Path home, String what) {
        return new DaemonClient(home, System.getenv(), System.in, System.out, System.err).execute(List.of("daemon", what));
    }

    /** Runs one command line ({@code run ...}, {@code repl ...}, {@code daemon status|stop}); returns its exit code. */
    int execute(List<String> args) {
        try {
            Path directory = Place.directory(env);
            if (args.size() == 2 && args.get(0).equals("daemon")) {
                return switch (args.get(1)) {
                    case "status" -> status(directory);
                    case "stop" -> stop(directory);
                    default -> usage();
                };
            }
            Place.secure(directory);
            Path socket = Place.socket(directory, home, env);
            try (SocketChannel channel = connectOrStart(socket)) {
                return relay(channel, socket, args);
            }
        } catch (IOException e) {
            err.println("cordon: the background process: " + e.getMessage()
                    + " (" + Place.OFF_VARIABLE + "=1 runs the command in this process)");
            return EXIT_INTERNAL;
        }
    }

    private int usage() {
        err.println("cordon: daemon status | daemon stop");
        return 2;
    }

    private int relay(SocketChannel channel, Path socket, List<String> args) throws IOException {
        DataOutputStream toProcess = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
        DataInputStream fromProcess = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
        Wire.write(toProcess, Wire.REQUEST, Wire.request(Path.of("").toAbsolutePath().toString(), args));
        StdinPump pump = new StdinPump(in, toProcess);
        while (true) {
            Wire.Frame frame = Wire.read(fromProcess);
            if (frame == null) {
                err.println("cordon: the background process ended before the command did (its log: "
                        + Place.log(socket) + ")");
                return EXIT_INTERNAL;
            }
            switch (frame.type()) {
                case Wire.STDOUT -> {
                    out.write(frame.payload());
                    out.flush();
                }
                case Wire.STDERR -> {
                    err.write(frame.payload());
                    err.flush();
                }
                case Wire.READ -> pump.want(frame.number());
                case Wire.EXIT -> {
                    return frame.number();
                }
                default -> throw new Wire.WireException("the process sent a '" + (char) frame.type() + "' frame");
            }
        }
    }

    /**
     * Reads standard input on a thread of its own, only as much as the command asked for, so that input the
     * command never reads stays where it was (in the terminal, in the rest of a pipe), as it would in-process.
     */
    private static final class StdinPump extends Thread {
        private final Semaphore asked = new Semaphore(0);
        private final InputStream in;
        private final DataOutputStream toProcess;
        private volatile int size;

        StdinPump(InputStream in, DataOutputStream toProcess) {
            super("cordon-stdin");
            this.in = in;
            this.toProcess = toProcess;
            setDaemon(true);
            start();
        }

        // A class, not a lambda: the first lambda costs a client that should start in milliseconds its bootstrap.
        @Override
        public void run() {
            byte[] buffer = new byte[Wire.CHUNK];
            try {
                while (true) {
                    asked.acquire();
                    int n = in.read(buffer, 0, Math.max(1, Math.min(size, buffer.length)));
                    Wire.write(toProcess, Wire.STDIN, buffer, 0, Math.max(0, n));
                }
            } catch (IOException | InterruptedException e) {
                // The command ended, or standard input broke: the process sees the connection end.
            }
        }

        void want(int n) {
            size = n;
            asked.release();
        }
    }

    private SocketChannel connectOrStart(Path socket) throws IOException {
        SocketChannel channel = connect(socket);
        if (channel != null) {
            return channel;
        }
        Process process = start(socket);
        long deadline = System.nanoTime() + START_MILLIS * 1_000_000;
        while (System.nanoTime() < deadline) {
            channel = connect(socket);
            if (channel != null) {
                return channel;
            }
            if (!process.isAlive()) {
                // Another client's process may have won the race to listen there.
                channel = connect(socket);
                if (channel != null) {
                    return channel;
                }
                throw new IOException("it ended while starting, with code " + process.exitValue() + "; its log: "
                        + Place.log(socket) + tail(Place.log(socket)));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while it started");
            }
        }
        throw new IOException("it did not listen within " + START_MILLIS / 1000 + " s; its log: " + Place.log(socket));
    }

    /** A connection to the process listening there, or null when none does. */
    static SocketChannel connect(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            return null;
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
        } catch (IOException e) {
            channel.close();
            return null;
        }
    }

    /**
     * Starts the background process through the launcher, in a session of its own (so that Ctrl-C in this
     * terminal does not reach it), its output going to its log, nothing of this process inherited.
     */
    private Process start(Path socket) throws IOException {
        List<String> cmd = new ArrayList<>();
        for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(setsid))) {
                cmd.add(setsid);
                break;
            }
        }
        cmd.addAll(Arrays.asList(home.resolve("cordon").toString(), "daemon", "serve", "--socket", socket.toString()));
        Path log = Place.log(socket);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                .redirectErrorStream(true);
        return pb.start();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private int status(Path directory) throws IOException {
        List<Path> sockets = sockets(directory);
        Path mine = Place.socket(directory, home, env);
        int found = 0;
        for (Path socket : sockets) {
            String answer = ask(socket, Wire.STATUS);
            if (answer != null) {
                found++;
                out.println(socket + (socket.equals(mine) ? " (these settings)" : " (other settings or build)"));
                for (String line : answer.split("\n")) {
                    out.println("  " + line);
                }
            }
        }
        if (found == 0) {
            out.println("no background process is running (" + directory + ")");
        }
        return 0;
    }

    private int stop(Path directory) throws IOException {
        int stopped = 0;
        for (Path socket : sockets(directory)) {
            String answer = ask(socket, Wire.STOP);
            if (answer != null) {
                stopped++;
                out.println(socket + ": " + answer);
            }
        }
        if (stopped == 0) {
            out.println("no background process is running (" + directory + ")");
        }
        return 0;
    }

    private static List<Path> sockets(Path directory) throws IOException {
        List<Path> sockets = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return sockets;
        }
        Place.secure(directory);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(directory, "*.sock")) {
            s.forEach(sockets::add);
        }
        sockets.sort(null);
        return sockets;
    }

    /** The process's TEXT answer to a STATUS or STOP frame, or null when nothing listens there. */
    private static String ask(Path socket, byte question) throws IOException {
        try (SocketChannel channel = connect(socket)) {
            if (channel == null) {
                return null;
            }
            DataOutputStream o = new DataOutputStream(Channels.newOutputStream(channel));
            Wire.write(o, question, new byte[0]);
            Wire.Frame answer = Wire.read(new DataInputStream(Channels.newInputStream(channel)));
            return answer != null && answer.type() == Wire.TEXT ? answer.text() : null;
        }
    }
}
