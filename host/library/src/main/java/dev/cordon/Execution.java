package dev.cordon;

import dev.cordon.capabilities.Grants;
import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One call: the code, whose authority it runs with, what it is granted, its parameters, its stdin and
 * its limits. Immutable except for the optional live stdin and output streams, which belong to the
 * caller. Build with {@link #builder()}.
 */
public final class Execution {

    private final String code;
    private final String sourceName;
    private final List<String> argv;
    private final Principal principal;
    private final Grants grants;
    private final Map<String, Object> params;
    private final String paramsJson;
    private final byte[] stdin;
    private final InputStream stdinStream;
    private final OutputStream stdoutTee;
    private final OutputStream stderrTee;
    private final Limits limits;

    private Execution(Builder b) {
        this.code = b.code;
        this.sourceName = b.sourceName;
        this.argv = b.argv != null ? List.copyOf(b.argv) : defaultArgv(b.sourceName);
        this.principal = b.principal;
        this.grants = Grants.of(b.grants);
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(b.params));
        this.paramsJson = Json.write(this.params);
        this.stdin = b.stdin;
        this.stdinStream = b.stdinStream;
        this.stdoutTee = b.stdoutTee;
        this.stderrTee = b.stderrTee;
        this.limits = b.limits;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String code() {
        return code;
    }

    /** The name tracebacks show for the code: the file's name, or {@code <string>}. */
    public String sourceName() {
        return sourceName;
    }

    /**
     * The guest's {@code sys.argv}: as given to {@link Builder#argv}, else what CPython gives for the same
     * invocation: {@code ['-c']} for code given as text, {@code ['-']} for a program read from stdin, the
     * script's name for a file.
     */
    public List<String> argv() {
        return argv;
    }

    private static List<String> defaultArgv(String sourceName) {
        return switch (sourceName) {
            case "<string>" -> List.of("-c");
            case "<stdin>" -> List.of("-");
            default -> List.of(sourceName);
        };
    }

    public Principal principal() {
        return principal;
    }

    public Grants grants() {
        return grants;
    }

    public Map<String, Object> params() {
        return params;
    }

    /** The parameters as a JSON object. */
    public String paramsJson() {
        return paramsJson;
    }

    /** What the guest reads from stdin: the live stream when one was given, else the bytes. */
    public InputStream openStdin() {
        return stdinStream != null ? stdinStream : new java.io.ByteArrayInputStream(stdin);
    }

    /** Where the guest's stdout is copied as it is written, or null. */
    public OutputStream stdoutTee() {
        return stdoutTee;
    }

    /** Where the guest's stderr is copied as it is written, or null. */
    public OutputStream stderrTee() {
        return stderrTee;
    }

    /** The limits, or null to use the Cordon's defaults. */
    public Limits limits() {
        return limits;
    }

    /** Builds an {@link Execution}. Only the code is required. */
    public static final class Builder {
        private String code;
        private String sourceName = "<string>";
        private List<String> argv;
        private Principal principal = Principal.ANONYMOUS;
        private final List<String> grants = new ArrayList<>();
        private final Map<String, Object> params = new LinkedHashMap<>();
        private byte[] stdin = new byte[0];
        private InputStream stdinStream;
        private OutputStream stdoutTee;
        private OutputStream stderrTee;
        private Limits limits;

        private Builder() {
        }

        /** The Python source to run. */
        public Builder code(String code) {
            this.code = Objects.requireNonNull(code, "code");
            return this;
        }

        /** The Python source and the name its tracebacks show. */
        public Builder code(String code, String sourceName) {
            code(code);
            this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
            return this;
        }

        /**
         * Reads the code from a host file now; tracebacks show the file's name, never its host path.
         *
         * @throws UncheckedIOException if the file cannot be read
         */
        public Builder file(Path file) {
            try {
                this.code = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            this.sourceName = String.valueOf(file.getFileName());
            return this;
        }

        /**
         * The guest's {@code sys.argv} (default: as CPython would give it, see {@link Execution#argv()}).
         *
         * @throws IllegalArgumentException for an empty list
         */
        public Builder argv(List<String> argv) {
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("sys.argv holds at least the program's name");
            }
            this.argv = List.copyOf(argv);
            return this;
        }

        /** Whose authority the call runs with (default {@code anonymous}). Any string is a valid name. */
        public Builder principal(String principal) {
            this.principal = Principal.of(principal);
            return this;
        }

        /**
         * Grants capabilities by name ({@code fs.tmp}, {@code fs.read:/data}, {@code gateway:db}).
         *
         * @throws IllegalArgumentException for a name that is not a capability
         */
        public Builder grant(String... capabilities) {
            for (String c : capabilities) {
                dev.cordon.capabilities.Capability.parse(c);
                grants.add(c);
            }
            return this;
        }

        /**
         * Adds a parameter the guest reads from {@code cordon.params}. The value must be JSON-compatible:
         * null, a boolean, a number, a string, a list or a map with string keys of such values.
         *
         * @throws IllegalArgumentException for any other value
         */
        public Builder param(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Json.requireCompatible(value, "param " + key);
            params.put(key, value);
            return this;
        }

        /** Adds every entry of {@code params}, as {@link #param} does. */
        public Builder params(Map<String, ?> params) {
            params.forEach(this::param);
            return this;
        }

        /** What the guest reads from stdin (default: nothing). */
        public Builder stdin(byte[] stdin) {
            this.stdin = Objects.requireNonNull(stdin, "stdin").clone();
            this.stdinStream = null;
            return this;
        }

        public Builder stdin(String stdin) {
            return stdin(stdin.getBytes(StandardCharsets.UTF_8));
        }

        /** A live stdin, read by the guest as it asks; consumed by the first run of this Execution. */
        public Builder stdin(InputStream stdin) {
            this.stdinStream = Objects.requireNonNull(stdin, "stdin");
            return this;
        }

        /** Copies the guest's stdout to {@code out} as it is written, within the output limit. */
        public Builder stdoutTee(OutputStream out) {
            this.stdoutTee = out;
            return this;
        }

        /** Copies the guest's stderr to {@code err} as it is written, within the output limit. */
        public Builder stderrTee(OutputStream err) {
            this.stderrTee = err;
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * @throws IllegalStateException if no code was given
         */
        public Execution build() {
            if (code == null) {
                throw new IllegalStateException("an Execution needs code: call code(...) or file(...)");
            }
            return new Execution(this);
        }
    }
}
