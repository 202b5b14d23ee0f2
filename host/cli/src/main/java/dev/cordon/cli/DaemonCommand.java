package dev.cordon.cli;

import dev.cordon.Cordon;
import dev.cordon.Durations;
import dev.cordon.cli.daemon.DaemonClient;
import dev.cordon.cli.daemon.DaemonServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cordon daemon}: the per-user background process that {@code cordon run} and {@code cordon repl} hand
 * their work to, so that a command finds a warm engine and answers in milliseconds. The client starts it on
 * first use; it ends itself after an idle period.
 */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Your background process that keeps a warm engine for cordon run and cordon repl.",
                "It starts on first use, listens on a socket only you can open, and ends after",
                "$CORDON_DAEMON_IDLE without a command (default 15m).",
                "Its prepared contexts import json, re, datetime and collections while it is idle",
                "(CORDON_PRELOAD=mod1,mod2 names others; CORDON_PRELOAD= none).",
                "--no-daemon or CORDON_NO_DAEMON=1 runs a command in a JVM of its own instead."})
final class DaemonCommand {

    /** Cordons of different options kept warm at once; the least recently used idle one goes beyond that. */
    private static final int WARM = 4;
    /** Contexts each warm Cordon keeps booted, so that a command does not wait for GraalPy's start-up. */
    private static final int PREPARED = 2;

    @Command(name = "status", description = "Say which background processes are running, and what they did.")
    int status() {
        return DaemonClient.control(home(), "status");
    }

    @Command(name = "stop", description = "Stop your background processes (after the commands they are running).")
    int stop() {
        return DaemonClient.control(home(), "stop");
    }

    @Command(name = "serve", hidden = true, description = "Be the background process (the client starts it).")
    int serve(@Option(names = "--socket", required = true, paramLabel = "PATH") Path socket,
              @Option(names = "--idle", paramLabel = "DURATION") String idle) throws IOException, InterruptedException {
        String chosen = idle != null ? idle : System.getenv(DaemonServer.IDLE_VARIABLE);
        Duration idlePeriod = chosen == null || chosen.isBlank() ? Duration.ofMinutes(15) : Durations.parse(chosen);
        ignoreTerminalSignals();
        try (WarmCordons cordons = new WarmCordons()) {
            DaemonServer server = DaemonServer.listen(socket, idlePeriod, (cwd, args, in, out, err) -> {
                if (args.isEmpty() || !List.of("run", "repl").contains(args.get(0))) {
                    err.println("cordon: the background process runs only run and repl");
                    return Main.EXIT_USAGE;
                }
                return Main.executeCommand(new Terminal(in, out, err, cwd, cordons), args.get(0), args.subList(1, args.size()));
            }, System::nanoTime);
            if (server == null) {
                System.err.println("cordon: another background process listens on " + socket);
                return Main.EXIT_OK;
            }
            System.err.println("cordon: background process " + ProcessHandle.current().pid() + " listening on " + socket);
            Thread watcher = new Thread(() -> {
                try {
                    while (!server.stopping()) {
                        Thread.sleep(1000);
                        if (server.idle()) {
                            server.close();
                        }
                    }
                } catch (InterruptedException | IOException e) {
                    // Ends with the process.
                }
            }, "cordon-daemon-idle");
            watcher.setDaemon(true);
            watcher.start();
            server.serve();
            while (server.inFlight() > 0) {
                Thread.sleep(50);
            }
            System.err.println("cordon: background process " + ProcessHandle.current().pid() + " ends");
        }
        return Main.EXIT_OK;
    }

    private static Path home() {
        String home = System.getProperty("cordon.home");
        if (home == null) {
            throw new IllegalStateException("-Dcordon.home is not set: start this through the cordon launcher");
        }
        return Path.of(home);
    }

    /**
     * Ctrl-C and a closed terminal are for the command in the foreground, not for a process that serves the
     * user's other commands (it is in a session of its own where {@code setsid} is there; this covers the rest).
     */
    @SuppressWarnings("restriction")
    private static void ignoreTerminalSignals() {
        for (String name : List.of("INT", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sun.misc.SignalHandler.SIG_IGN);
            } catch (IllegalArgumentException e) {
                // Not a signal on this system.
            }
        }
    }

    /** The background process's Cordons, one per set of options, kept between commands. */
    static final class WarmCordons implements Terminal.Cordons, AutoCloseable {
        private final Map<String, Warm> byKey = new LinkedHashMap<>(16, 0.75f, true);

        private static final class Warm {
            final Cordon cordon;
            int users;

            Warm(Cordon cordon) {
                this.cordon = cordon;
            }
        }

        @Override
        public synchronized Terminal.Lease lease(SandboxOptions options) {
            Warm warm = byKey.computeIfAbsent(options.cordonKey(), key -> new Warm(options.cordon(PREPARED)));
            warm.users++;
            Warm leased = warm;
            evictIdle();
            return new Terminal.Lease() {
                private boolean closed;

                @Override
                public Cordon cordon() {
                    return leased.cordon;
                }

                @Override
                public void close() {
                    synchronized (WarmCordons.this) {
                        if (!closed) {
                            closed = true;
                            leased.users--;
                            evictIdle();
                        }
                    }
                }
            };
        }

        private void evictIdle() {
            List<Cordon> gone = new ArrayList<>();
            Iterator<Warm> it = byKey.values().iterator();
            while (byKey.size() > WARM && it.hasNext()) {
                Warm w = it.next();
                if (w.users == 0) {
                    it.remove();
                    gone.add(w.cordon);
                }
            }
            gone.forEach(Cordon::close);
        }

        @Override
        public synchronized void close() {
            byKey.values().forEach(w -> w.cordon.close());
            byKey.clear();
        }
    }
}
