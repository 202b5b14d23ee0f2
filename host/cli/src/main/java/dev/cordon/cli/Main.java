package dev.cordon.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cordon}: run untrusted Python from the command line.
 *
 * <p>Exit codes: 0 OK, 1 the guest's code failed, 2 bad usage, 3 a limit was reached, 4 the call was
 * rejected, 70 an internal fault.
 */
@Command(name = "cordon", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runs untrusted Python in a sandbox with only the capabilities you grant.",
        subcommands = {RunCommand.class, ReplCommand.class, BenchCommand.class, ConformanceCommand.class, ServeCommand.class, McpCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:OK", "1:the guest's code raised an exception or exited non-zero", "2:bad usage",
                "3:a limit was reached (time, CPU, memory, output)", "4:the call was rejected",
                "70:internal fault of Cordon"})
public final class Main implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_GUEST_ERROR = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_LIMIT = 3;
    public static final int EXIT_REJECTED = 4;
    public static final int EXIT_INTERNAL = 70;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code, without exiting. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("cordon: " + e.getMessage());
                return EXIT_USAGE;
            }
            commandLine.getErr().println("cordon: internal error: " + e);
            return EXIT_INTERNAL;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: run, repl, bench or serve");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"cordon " + (v == null ? "development build" : v)};
        }
    }
}
