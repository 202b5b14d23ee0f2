package dev.cordon.cli;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Session;
import dev.cordon.capabilities.Grants;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code cordon repl}: an interactive prompt whose state lives in one sandboxed context for the
 * session. Each entry runs under the limits; one that reaches a limit loses the session's state, as the
 * context is discarded, and the prompt says so.
 */
@Command(name = "repl", mixinStandardHelpOptions = true,
        description = "An interactive Python prompt in one sandbox for the whole session.")
final class ReplCommand implements Callable<Integer> {

    @Mixin
    SandboxOptions sandbox;

    private final Terminal terminal;

    ReplCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws IOException {
        PrintStream out = terminal.out();
        PrintStream err = terminal.err();
        sandbox.resolveAgainst(terminal);
        BufferedReader in = new BufferedReader(new InputStreamReader(terminal.in(), StandardCharsets.UTF_8));
        try (Terminal.Lease lease = terminal.cordons().lease(sandbox);
             Session session = lease.cordon().session(sandbox.principal, Grants.of(sandbox.grants))) {
            err.println("Cordon sandboxed Python (principal " + sandbox.principal + ", grants "
                    + sandbox.grants + "). Ctrl-D to leave.");
            StringBuilder entry = new StringBuilder();
            while (true) {
                err.print(entry.isEmpty() ? ">>> " : "... ");
                err.flush();
                String line = in.readLine();
                if (line == null) {
                    err.println();
                    return Main.EXIT_OK;
                }
                boolean blank = line.isBlank();
                if (entry.isEmpty() && blank) {
                    continue;
                }
                entry.append(line).append('\n');
                String code = entry.toString();
                // Like Python's prompt: an unfinished statement, or a block still open, waits for more.
                boolean block = code.lines().findFirst().orElse("").stripTrailing().endsWith(":")
                        || code.lines().count() > 1;
                if (session.isIncomplete(code) || (block && !blank)) {
                    continue;
                }
                entry.setLength(0);
                Execution.Builder b = sandbox.execution().code(code, "<stdin>").stdoutTee(out).stderrTee(err);
                ExecutionResult result = session.runInteractive(b.build());
                RunCommand.report(result, err);
                if (result.status().isLimit()) {
                    err.println("cordon: the sandbox was reset; earlier definitions are gone");
                }
            }
        }
    }
}
