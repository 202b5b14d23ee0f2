package dev.cordon.cli.daemon;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The background process's listener: accepts connections from its own user only, runs each command on a thread
 * of its own through a {@link Commands}, and ends once it has had no command for its idle period (or on
 * {@code cordon daemon stop}), after the commands in flight.
 */
public final class DaemonServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DaemonServer.class.getName());

    /** How long the process waits for a command before it ends, such as 30m (default: 15m). */
    public static final String IDLE_VARIABLE = Place.IDLE_VARIABLE;

    /** What runs a command handed over: {@code cordon run} or {@code cordon repl} in this JVM. */
    @FunctionalInterface
    public interface Commands {
        /**
         * @param workingDirectory the client's, against which the command's relative paths are read
         * @return the exit code
         */
        int execute(Path workingDirectory, List<String> args, InputStream in, PrintStream out, PrintStream err);
    }

    private final Path socket;
    private final Duration idle;
    private final Commands commands;
    private final LongSupplier nanoTime;
    private final ServerSocketChannel server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong lastActive;
    private final Instant started = Instant.now();
    private volatile boolean stopping;

    private DaemonServer(Path socket, Duration idle, Commands commands, LongSupplier nanoTime,
                         ServerSocketChannel server) {
        this.socket = socket;
        this.idle = idle;
        this.commands = commands;
        this.nanoTime = nanoTime;
        this.server = server;
        this.lastActive = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Listens on {@code socket}, in a directory private to this user, the socket itself readable by this user
     * only. Returns null when another process already listens there (two clients started one each).
     *
     * @param nanoTime the clock of the idle period
     */
    public static DaemonServer listen(Path socket, Duration idle, Commands commands, LongSupplier nanoTime)
            throws IOException {
        Place.secure(socket.getParent());
        SocketChannel other = DaemonClient.connect(socket);
        if (other != null) {
            other.close();
            return null;
        }
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        return new DaemonServer(socket, idle, commands, nanoTime, server);
    }

    /** Accepts connections until it is stopped or closed; each on a thread of its own. */
    public void serve() {
        while (!stopping) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (stopping || !server.isOpen()) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "accept failed", e);
                continue;
            }
            Thread t = new Thread(() -> connection(channel), "cordon-daemon-" + served.get());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Whether it has had no command for its idle period, none being in flight. */
    public boolean idle() {
        return inFlight.get() == 0 && nanoTime.getAsLong() - lastActive.get() >= idle.toNanos();
    }

    /** Whether {@code cordon daemon stop} asked it to end. */
    public boolean stopping() {
        return stopping;
    }

    /** Commands in flight. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Stops listening and removes its socket; commands in flight go on. */
    @Override
    public void close() throws IOException {
        stopListening();
        Files.deleteIfExists(socket);
    }

    /** Stops taking connections; the socket's path is left to the caller. */
    private void stopListening() throws IOException {
        stopping = true;
        server.close();
    }

    private void connection(SocketChannel channel) {
        try (channel) {
            UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(System.getProperty("user.name"))) {
                LOG.log(System.Logger.Level.WARNING, "refused a connection from user " + peer.user().getName());
                return;
            }
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
            Wire.Frame first = Wire.read(in);
            if (first == null) {
                return;
            }
            switch (first.type()) {
                case Wire.STATUS -> Wire.writeText(out, Wire.TEXT, status());
                case Wire.STOP -> {
                    // The socket goes before the answer: once the client has read "stopping", no new command
                    // reaches this process, and a command started then finds no background process and starts
                    // one (whose socket the close below must not delete, so it does not delete it again).
                    Files.deleteIfExists(socket);
                    Wire.writeText(out, Wire.TEXT, "stopping" + (inFlight.get() > 0
                            ? " after " + inFlight.get() + " command(s) in flight" : ""));
                    stopListening();
                }
                case Wire.REQUEST -> command(Wire.command(first), in, out);
                default -> throw new Wire.WireException("a connection began with a '" + (char) first.type() + "' frame");
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "a client's connection ended: " + e);
        }
    }

    private String status() {
        long idleSeconds = (nanoTime.getAsLong() - lastActive.get()) / 1_000_000_000L;
        return "pid " + ProcessHandle.current().pid() + ", up since " + started + ", " + served.get()
                + " command(s) served, " + inFlight.get() + " in flight, idle " + idleSeconds + " s (ends after "
                + idle.toSeconds() + " s idle)";
    }

    private void command(List<String> command, DataInputStream in, DataOutputStream out) throws IOException {
        inFlight.incrementAndGet();
        Gone gone = new Gone(Thread.currentThread());
        try {
            Stdin stdin = new Stdin(out);
            Thread reader = new Thread(() -> {
                stdin.receive(in);
                gone.clientLeft();
            }, "cordon-daemon-input");
            reader.setDaemon(true);
            reader.start();
            int code;
            try (PrintStream stdout = new PrintStream(new FrameStream(out, Wire.STDOUT), true, StandardCharsets.UTF_8);
                 PrintStream stderr = new PrintStream(new FrameStream(out, Wire.STDERR), true, StandardCharsets.UTF_8)) {
                code = commands.execute(Path.of(command.get(0)), command.subList(1, command.size()), stdin, stdout, stderr);
                stdout.flush();
                stderr.flush();
            } finally {
                gone.commandEnded();
            }
            Wire.writeNumber(out, Wire.EXIT, code);
        } finally {
            served.incrementAndGet();
            lastActive.set(nanoTime.getAsLong());
            inFlight.decrementAndGet();
        }
    }

    /**
     * A client that leaves before its command ends (Ctrl-C, a closed terminal, a killed client) ends the command:
     * its thread is interrupted, which stops the call (the library answers an interrupted caller at once and
     * stops its guest), as the command's own process would have ended with it. A client never closes its side
     * while its command runs, so the connection's end is its leaving.
     */
    private static final class Gone {
        private final Thread command;
        private boolean running = true;

        Gone(Thread command) {
            this.command = command;
        }

        synchronized void clientLeft() {
            if (running) {
                LOG.log(System.Logger.Level.INFO, "a client left during its command; the command is stopped");
                command.interrupt();
            }
        }

        synchronized void commandEnded() {
            running = false;
            Thread.interrupted();
        }
    }

    /** A stream of the client's: each write is one frame (in chunks), sent at once. */
    private static final class FrameStream extends OutputStream {
        private final DataOutputStream out;
        private final byte type;
        private volatile boolean broken;

        FrameStream(DataOutputStream out, byte type) {
            this.out = out;
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            // A client gone (Ctrl-C) loses the rest of the output, as a closed terminal would; the command goes on.
            for (int at = off; at < off + len && !broken; at += Wire.CHUNK) {
                try {
                    Wire.write(out, type, b, at, Math.min(Wire.CHUNK, off + len - at));
                } catch (IOException e) {
                    broken = true;
                }
            }
        }
    }

    /**
     * The command's standard input: each read asks the client for at most that many bytes and waits for them,
     * so that the client reads no more of its own input than the command does.
     */
    private static final class Stdin extends InputStream {
        private static final byte[] END = new byte[0];
        private final DataOutputStream out;
        private final BlockingQueue<byte[]> arrived = new ArrayBlockingQueue<>(1);
        private byte[] pending = END;
        private int at;
        private boolean ended;

        Stdin(DataOutputStream out) {
            this.out = out;
        }

        /** Hands the client's STDIN frames to the reader; the connection's end is the input's end. */
        void receive(DataInputStream in) {
            try {
                Wire.Frame frame;
                while ((frame = Wire.read(in)) != null) {
                    if (frame.type() != Wire.STDIN || frame.payload().length > Wire.CHUNK) {
                        throw new Wire.WireException("the client sent a '" + (char) frame.type() + "' frame of "
                                + frame.payload().length + " bytes during a command");
                    }
                    arrived.put(frame.payload());
                }
            } catch (IOException | InterruptedException e) {
                LOG.log(System.Logger.Level.DEBUG, "a client's input ended: " + e);
            }
            arrived.offer(END);
        }

        @Override
        public synchronized int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (at == pending.length) {
                if (ended) {
                    return -1;
                }
                Wire.writeNumber(out, Wire.READ, Math.min(len, Wire.CHUNK));
                try {
                    pending = arrived.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for input");
                }
                at = 0;
                if (pending.length == 0) {
                    ended = true;
                    return -1;
                }
            }
            int n = Math.min(len, pending.length - at);
            System.arraycopy(pending, at, b, off, n);
            at += n;
            return n;
        }
    }
}
