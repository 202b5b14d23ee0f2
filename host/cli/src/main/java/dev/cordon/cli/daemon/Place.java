package dev.cordon.cli.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where a user's background processes listen: one socket per installation, build and set of {@code CORDON_*}
 * variables (a process started under other settings would answer with the wrong ones), in a directory that
 * only its user can open.
 */
final class Place {

    /** Chooses the directory of the sockets (default: {@code $XDG_RUNTIME_DIR/cordon}, else {@code /tmp/cordon-USER}). */
    static final String DIRECTORY_VARIABLE = "CORDON_DAEMON_DIR";
    /** Set to anything but 0 or an empty value: {@code run} and {@code repl} stay in their own process. */
    static final String OFF_VARIABLE = "CORDON_NO_DAEMON";
    /** How long a background process waits for work before it ends, such as 30m (default: 15m). */
    static final String IDLE_VARIABLE = "CORDON_DAEMON_IDLE";

    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private Place() {
    }

    static Path directory(Map<String, String> env) {
        String chosen = env.get(DIRECTORY_VARIABLE);
        if (chosen != null && !chosen.isBlank()) {
            return Path.of(chosen).toAbsolutePath();
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime))) {
            return Path.of(runtime, "cordon");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "cordon-" + System.getProperty("user.name"));
    }

    /**
     * The socket of the process that serves this installation (its directory {@code home}), its latest build
     * and these settings: every {@code CORDON_*} variable but the daemon's own, and {@code JAVA_HOME} (the JDK the
     * launcher chose). The native client (src/main/c/cordon-client.c) computes the same name.
     */
    static Path socket(Path directory, Path home, Map<String, String> env) throws IOException {
        StringBuilder b = new StringBuilder(home.toAbsolutePath().normalize().toString()).append('\n');
        Path stamp = home.resolve("host/cli/target/.cordon-built");
        if (Files.exists(stamp)) {
            b.append(Files.getLastModifiedTime(stamp).toMillis());
        }
        b.append('\n');
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if ((name.startsWith("CORDON_") || name.equals("JAVA_HOME")) && !name.startsWith("CORDON_DAEMON_")
                    && !name.equals(OFF_VARIABLE)) {
                b.append(name).append('=').append(e.getValue()).append('\n');
            }
        }
        // FNV-1a, 64 bits: a name, not a secret (the directory is what keeps others out), and no JCA provider
        // to load in a client that should start in milliseconds.
        long hash = 0xcbf29ce484222325L;
        for (byte c : b.toString().getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (c & 0xff)) * 0x100000001b3L;
        }
        return directory.resolve(HexFormat.of().toHexDigits(hash) + ".sock");
    }

    /** The log of the process listening on {@code socket}. */
    static Path log(Path socket) {
        String name = socket.getFileName().toString();
        return socket.resolveSibling(name.substring(0, name.length() - ".sock".length()) + ".log");
    }

    /**
     * Makes the directory if it is missing, private to this user; refuses one that another user owns or that
     * others may open, where someone else could put a socket of their own.
     */
    static void secure(Path directory) throws IOException {
        try {
            Files.createDirectories(directory.getParent());
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PRIVATE));
        } catch (FileAlreadyExistsException e) {
            // Checked below, as one found there.
        }
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(directory + " is not a directory");
        }
        String owner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(System.getProperty("user.name"))) {
            throw new IOException(directory + " belongs to " + owner + ", not to " + System.getProperty("user.name"));
        }
        if (!Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS).equals(PRIVATE)) {
            throw new IOException(directory + " may be opened by other users (it must be rwx------)");
        }
    }
}
