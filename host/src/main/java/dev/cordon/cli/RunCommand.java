package dev.cordon.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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

    @Override
    public Integer call() {
        if ((code == null) == (file == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of FILE, -c CODE or -");
        }
        Execution.Builder b = sandbox.execution();
        if (code != null) {
            b.code(code, "<string>").stdin(System.in);
        } else if (file.equals("-")) {
            try {
                b.code(new String(System.in.readAllBytes(), StandardCharsets.UTF_8), "<stdin>");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the script from standard input", e);
            }
        } else {
            b.file(Path.of(file)).stdin(System.in);
        }
        PrintStream out = System.out;
        PrintStream err = System.err;
        if (!json) {
            b.stdoutTee(out).stderrTee(err);
        }
        Execution execution = b.build();
        ExecutionResult result;
        try (Cordon cordon = sandbox.cordon()) {
            result = cordon.run(execution);
        }
        if (json) {
            out.println(toJson(result));
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

    /** The result as the one JSON object {@code --json} prints. */
    static String toJson(ExecutionResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", r.status().name());
        o.put("stdout", r.stdout());
        o.put("stderr", r.stderr());
        o.put("stdoutTruncated", r.stdoutTruncated());
        o.put("stderrTruncated", r.stderrTruncated());
        o.set("value", Json.MAPPER.valueToTree(r.value()));
        if (r.error() == null) {
            o.putNull("error");
        } else {
            ObjectNode e = o.putObject("error");
            e.put("type", r.error().type());
            e.put("message", r.error().message());
            e.put("traceback", r.error().traceback());
        }
        ObjectNode u = o.putObject("usage");
        u.put("wallMillis", r.usage().wallMillis());
        u.put("cpuMillis", r.usage().cpuMillis());
        u.put("allocatedBytes", r.usage().allocatedBytes());
        u.put("stdoutBytes", r.usage().stdoutBytes());
        u.put("stderrBytes", r.usage().stderrBytes());
        u.put("prepareMillis", r.usage().prepareMillis());
        ArrayNode events = o.putArray("events");
        for (AuditEvent ev : r.events()) {
            ObjectNode e = events.addObject();
            e.put("time", ev.time().toString());
            e.put("category", ev.category());
            e.put("action", ev.action());
            e.put("target", ev.target());
            e.put("outcome", ev.outcome().name());
            e.put("detail", ev.detail());
            if (ev.duration() != null) {
                e.put("micros", ev.duration().toNanos() / 1_000);
            }
        }
        return o.toString();
    }
}
