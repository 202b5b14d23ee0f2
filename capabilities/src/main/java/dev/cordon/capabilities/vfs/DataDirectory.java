package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Quota;
import dev.cordon.capabilities.Principal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host directory where principals keep what outlives a call. Each principal gets its own directory,
 * {@code principals/<storage name>/}, holding {@code tmp/} (the guest's writable {@code /tmp}) and
 * {@code principal} (the name, for whoever administers the host).
 *
 * <p>The storage name is an injective function of the principal's name made only of {@code [a-z0-9_-]}:
 * lowercase letters and digits stand for themselves and every other UTF-16 unit becomes {@code _xxxx}
 * in hex, behind the prefix {@code p-}; a name whose encoding would be longer than 120 characters is
 * stored as {@code h-} and the SHA-256 of its UTF-16 units instead. So {@code "alice"}, {@code "ALICE"},
 * {@code "alice/."}, {@code "../alice"}, {@code ""}, a name with NUL or a lone surrogate and a name of
 * 5,000 characters all get different directories, each a single plain name inside {@code principals/}.
 *
 * <p>Guest file names are stored as they are, so the host filesystem must keep names apart exactly: it
 * must be case-sensitive and must not normalise Unicode, and the JVM must encode file names as UTF-8.
 * The constructor checks all three and refuses a data directory that does not qualify, rather than let
 * {@code A} and {@code a} become one file.
 *
 * <p>One instance hands out one tree per principal, so all the calls of a principal in this process share
 * its quota and its lock. Two processes must not use the same data directory at once.
 */
public final class DataDirectory implements PrincipalStore {

    private static final int MAX_READABLE = 120;

    private final Path root;
    private final Quota quota;
    private final Map<Principal, HostTree> trees = new ConcurrentHashMap<>();

    /**
     * @throws UncheckedIOException if the directory cannot be created
     * @throws IllegalStateException if the host filesystem or the JVM would alias distinct names
     */
    public DataDirectory(Path root, Quota quota) {
        this.quota = Objects.requireNonNull(quota, "quota");
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
            Files.createDirectories(this.root.resolve("principals"));
            checkNamesAreExact(this.root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use data directory " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    @Override
    public Quota quota() {
        return quota;
    }

    /** Nothing to release: the trees are files on this machine. */
    @Override
    public void close() {
    }

    /** The writable {@code /tmp} of {@code principal}, created on first use and shared by its calls. */
    @Override
    public HostTree tmp(Principal principal) throws IOException {
        try {
            return trees.computeIfAbsent(principal, p -> {
                try {
                    return HostTree.writable(createTmp(p), quota);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Where {@code principal}'s state lives on the host (it may not exist yet). */
    public Path principalDirectory(Principal principal) {
        return root.resolve("principals").resolve(storageName(principal.name()));
    }

    private Path createTmp(Principal principal) throws IOException {
        Path dir = principalDirectory(principal);
        Path tmp = dir.resolve("tmp");
        if (!Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir);
            Path name = dir.resolve("principal");
            if (!Files.exists(name)) {
                Files.writeString(name, principal.name() + "\n", StandardCharsets.UTF_8);
            }
            try {
                Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // Created meanwhile by another call.
            }
        }
        return tmp;
    }

    /** The directory name of a principal: injective, and made of {@code [a-z0-9_-]} only. */
    public static String storageName(String principal) {
        StringBuilder b = new StringBuilder("p-");
        for (int i = 0; i < principal.length(); i++) {
            char c = principal.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
                b.append(c);
            } else {
                b.append('_').append(HexFormat.of().toHexDigits(c));
            }
            if (b.length() > MAX_READABLE) {
                return "h-" + sha256(principal);
            }
        }
        return b.toString();
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_16BE)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkNamesAreExact(Path root) throws IOException {
        String jnu = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (!jnu.equalsIgnoreCase("UTF-8")) {
            throw new IllegalStateException("the JVM encodes file names as " + jnu + ", so guest file names"
                    + " would be mangled; start it with a UTF-8 locale (for example LANG=C.UTF-8)");
        }
        Path probes = Files.createTempDirectory(root, "probe");
        try {
            String composed = Normalizer.normalize("caf\u00e9", Normalizer.Form.NFC);
            String decomposed = Normalizer.normalize("caf\u00e9", Normalizer.Form.NFD);
            Files.createFile(probes.resolve("a"));
            Files.createFile(probes.resolve(composed));
            if (Files.exists(probes.resolve("A")) || Files.exists(probes.resolve(decomposed))) {
                throw new IllegalStateException("the filesystem of " + root + " folds case or Unicode"
                        + " normalisation, so distinct guest file names would alias; use a case-sensitive one");
            }
        } finally {
            try (var s = Files.list(probes)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(probes);
        }
    }
}
