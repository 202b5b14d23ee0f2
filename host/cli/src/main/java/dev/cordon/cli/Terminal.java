package dev.cordon.cli;

import dev.cordon.Cordon;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Where a command's streams, working directory and {@link Cordon} come from: this process's own, or, in the
 * background process, the client's streams and directory and a {@code Cordon} kept warm between commands.
 *
 * @param workingDirectory the directory relative paths are read against; null for this process's own
 */
record Terminal(InputStream in, PrintStream out, PrintStream err, Path workingDirectory, Cordons cordons) {

    /** Gives a command the {@link Cordon} its options describe, for as long as the lease is open. */
    @FunctionalInterface
    interface Cordons {
        Lease lease(SandboxOptions options);
    }

    /** A {@link Cordon} in use by one command. */
    interface Lease extends AutoCloseable {
        Cordon cordon();

        @Override
        void close();
    }

    /** This process's streams and directory, and a {@code Cordon} built for the command and closed after it. */
    static Terminal system() {
        return new Terminal(System.in, System.out, System.err, null, options -> {
            Cordon cordon = options.cordon();
            return new Lease() {
                @Override
                public Cordon cordon() {
                    return cordon;
                }

                @Override
                public void close() {
                    cordon.close();
                }
            };
        });
    }

    /** A path as the user typed it, read against the working directory. */
    Path path(String typed) {
        return workingDirectory == null ? Path.of(typed) : workingDirectory.resolve(typed);
    }

    Path path(Path typed) {
        return workingDirectory == null ? typed : workingDirectory.resolve(typed);
    }
}
