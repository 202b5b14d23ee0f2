package dev.cordon.cli;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.json.ResultJson;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code cordon run}: runs one script in a fresh sandbox. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a Python script (FILE, -c CODE, or - for standard input) in a fresh sandbox.")
final class RunCommand implements Callable<Integer> {

    @Mixin
    SandboxOptions sandbox;

    @Option(names = "-c", paramLabel = "CODE", description = "The code to run.")
    String code;

    @Option(names = "--json", description = "Print exactly one JSON object describing the result.")
    boolean json;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The script, or - to read it from standard input.")
    String file;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Terminal terminal;

    RunCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() {
        if ((code == null) == (file == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of FILE, -c CODE or -");
        }
        sandbox.resolveAgainst(terminal);
        Execution.Builder b = sandbox.execution();
        if (code != null) {
            b.code(code, "<string>").stdin(terminal.in());
        } else if (file.equals("-")) {
            try {
                b.code(new String(terminal.in().readAllBytes(), StandardCharsets.UTF_8), "<stdin>");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the script from standard input", e);
            }
        } else {
            b.file(terminal.path(file)).stdin(terminal.in());
        }
        PrintStream out = terminal.out();
        PrintStream err = terminal.err();
        if (!json) {
            b.stdoutTee(out).stderrTee(err);
        }
        Execution execution = b.build();
        ExecutionResult result;
        try (Terminal.Lease lease = terminal.cordons().lease(sandbox)) {
            result = lease.cordon().run(execution);
        }
        if (json) {
            out.println(ResultJson.toJson(result));
        } else {
            report(result, err);
        }
        out.flush();
        return exitCode(result);
    }

    /** Tells on stderr why a call did not end OK, as Python would print an uncaught exception. */
    static void report(ExecutionResult result, PrintStream err) {
        switch (result.status()) {
            case OK -> { }
            case ERROR -> err.print(result.error().traceback());
            default -> err.println("cordon: " + result.status() + ": "
                    + (result.error() == null ? "" : result.error().message()));
        }
        if (result.stdoutTruncated()) {
            err.println("cordon: stdout was truncated at the output limit");
        }
        if (result.stderrTruncated()) {
            err.println("cordon: stderr was truncated at the output limit");
        }
        err.flush();
    }

    static int exitCode(ExecutionResult result) {
        return switch (result.status()) {
            case OK -> Main.EXIT_OK;
            case ERROR -> Main.EXIT_GUEST_ERROR;
            case TIMEOUT, CPU_LIMIT, MEMORY_LIMIT, OUTPUT_LIMIT -> Main.EXIT_LIMIT;
            case REJECTED -> Main.EXIT_REJECTED;
            case INTERNAL -> Main.EXIT_INTERNAL;
        };
    }
}
