package dev.cordon.examples.zoobar;

import dev.cordon.Limits;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code ./cordon example zoobar}: starts the Zoobar web application and prints its address. */
@Command(name = "zoobar", mixinStandardHelpOptions = true,
        description = "Zoobar: a web application whose users' profiles are Python run in Cordon.")
public final class Zoobar implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "N", description = "TCP port (default: 8080; 0 for any free port).")
    int port = 8080;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: 127.0.0.1).")
    String bind = "127.0.0.1";

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the database and the users' /tmp live (default: var/zoobar).")
    Path dataDir = Path.of("var/zoobar");

    @Option(names = "--profile-timeout", paramLabel = "DURATION", description = "Wall time of one profile view (default: 2s).")
    String timeout = "2s";

    @Option(names = "--profile-memory", paramLabel = "SIZE", description = "Memory of one profile view (default: 128MB).")
    String memory = "128MB";

    @Option(names = "--profile-output", paramLabel = "SIZE", description = "Output of one profile view (default: 16KB).")
    String output = "16KB";

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Zoobar());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("zoobar: " + e.getMessage());
            return 2;
        });
        int exit = cli.execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    @Override
    public Integer call() throws Exception {
        Limits limits = Limits.parse(timeout, null, memory, output);
        ZoobarApp app = ZoobarApp.start(dataDir, bind, port, limits);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                app.close();
            } catch (Exception e) {
                // Stopping anyway.
            }
            stopped.countDown();
        }));
        System.out.println("zoobar: open " + app.uri() + " (data in " + dataDir.toAbsolutePath() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
