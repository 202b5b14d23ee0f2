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
        subcommands = {RunCommand.class, ReplCommand.class, BenchCommand.class, ConformanceCommand.class, ServeCommand.class, McpCommand.class, DaemonCommand.class, CommandLine.HelpCommand.class},
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
        return execute(Terminal.system(), args);
    }

    /** Runs the command line with these streams, working directory and Cordons. */
    static int execute(Terminal terminal, String... args) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        return configured(new CommandLine(new Main(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                if (type == RunCommand.class) {
                    return type.cast(new RunCommand(terminal));
                }
                if (type == ReplCommand.class) {
                    return type.cast(new ReplCommand(terminal));
                }
                return defaults.create(type);
            }
        }), terminal).execute(args);
    }

    /**
     * Runs {@code cordon run} or {@code cordon repl} with a parser of that command alone, as the background
     * process does for each command handed to it (the whole command line's parser takes milliseconds to build).
     */
    static int executeCommand(Terminal terminal, String command, java.util.List<String> args) {
        Object cmd = switch (command) {
            case "run" -> new RunCommand(terminal);
            case "repl" -> new ReplCommand(terminal);
            default -> throw new IllegalArgumentException("not a command of the background process: " + command);
        };
        CommandLine cli = new CommandLine(cmd);
        cli.setCommandName("cordon " + command);
        return configured(cli, terminal).execute(args.toArray(String[]::new));
    }

    private static CommandLine configured(CommandLine cli, Terminal terminal) {
        if (terminal.out() != System.out) {
            cli.setOut(new java.io.PrintWriter(terminal.out(), true));
            cli.setErr(new java.io.PrintWriter(terminal.err(), true));
        }
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("cordon: " + e.getMessage());
                return EXIT_USAGE;
            }
            commandLine.getErr().println("cordon: internal error: " + e);
            return EXIT_INTERNAL;
        });
        return cli;
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
