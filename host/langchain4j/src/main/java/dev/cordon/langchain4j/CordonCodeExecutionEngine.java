package dev.cordon.langchain4j;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.json.ResultText;
import dev.langchain4j.code.CodeExecutionEngine;

import java.util.List;
import java.util.Objects;

/**
 * LangChain4j's {@link CodeExecutionEngine} backed by Cordon: each {@link #execute} runs the code in a fresh
 * sandbox of the given {@link Cordon} (its backend and isolation), with this engine's principal, grants and
 * limits. Where an engine that returns only a value would drop what the code printed, this one returns the
 * run's whole report for the model ({@link ResultText}): status, stdout, stderr, the value passed to
 * {@code cordon.result(...)}, the exception with its traceback. A hostile program comes back as such a report
 * (a limit's status and what to change), never as an exception in the application.
 *
 * <pre>{@code
 * try (Cordon cordon = Cordon.builder().isolation(Isolation.PROCESS).build()) {
 *     CodeExecutionEngine engine = CordonCodeExecutionEngine.builder(cordon)
 *             .principal("agent-42").grants("fs.tmp").limits(Limits.builder().wallTime(Duration.ofSeconds(5)).build())
 *             .build();
 *     String report = engine.execute("print(sum(range(10)))");
 * }
 * }</pre>
 *
 * The engine does not own the {@code Cordon}: close that when the application is done.
 */
public final class CordonCodeExecutionEngine implements CodeExecutionEngine {

    private final Cordon cordon;
    private final String principal;
    private final List<String> grants;
    private final Limits limits;

    private CordonCodeExecutionEngine(Builder b) {
        this.cordon = b.cordon;
        this.principal = b.principal;
        this.grants = List.copyOf(b.grants);
        this.limits = b.limits;
    }

    /** An engine running its calls in {@code cordon}. */
    public static Builder builder(Cordon cordon) {
        return new Builder(cordon);
    }

    /** Runs {@code code} and returns the report of the run, for the model. */
    @Override
    public String execute(String code) {
        return ResultText.of(run(code));
    }

    /** Runs {@code code} and returns the result itself, for an application that wants more than the text. */
    public ExecutionResult run(String code) {
        Execution.Builder e = Execution.builder().code(Objects.requireNonNull(code, "code"), "<model>")
                .principal(principal).grant(grants.toArray(String[]::new));
        if (limits != null) {
            e.limits(limits);
        }
        return cordon.run(e.build());
    }

    /** What the engine's calls may use and how long they may take. */
    public static final class Builder {

        private final Cordon cordon;
        private String principal = "langchain4j";
        private List<String> grants = List.of();
        private Limits limits;

        private Builder(Cordon cordon) {
            this.cordon = Objects.requireNonNull(cordon, "cordon");
        }

        /** Whose {@code /tmp} and gateway state the calls use (default {@code langchain4j}). */
        public Builder principal(String principal) {
            this.principal = Objects.requireNonNull(principal, "principal");
            return this;
        }

        /** The capabilities every call has, as {@code Execution.Builder.grant} takes them (default none). */
        public Builder grants(String... capabilities) {
            this.grants = List.of(capabilities);
            return this;
        }

        /** The limits of every call (default: the Cordon's default limits). */
        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * The engine.
         *
         * @throws IllegalArgumentException if a grant is not a capability, or names a mount or service the
         *                                  Cordon does not have
         */
        public CordonCodeExecutionEngine build() {
            // A grant the Cordon cannot honour is the application's mistake, told now rather than at each call.
            cordon.checkGrants(dev.cordon.capabilities.Grants.of(grants));
            return new CordonCodeExecutionEngine(this);
        }
    }
}
