package dev.cordon.guest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Python modules every sandbox sees read-only. They ship as resources under
 * {@code dev/cordon/guest/lib/} of this jar (or of the classes directory during development).
 */
public final class GuestStdlib {

    private static final String ROOT = "dev/cordon/guest/lib";
    private static final String MARKER = ROOT + "/cordon/__init__.py";

    private GuestStdlib() {
    }

    /**
     * Reads every file of the guest stdlib.
     *
     * @return contents by path relative to the library's root, such as {@code cordon/__init__.py}
     * @throws UncheckedIOException if the resources cannot be read
     */
    public static Map<String, byte[]> files() {
        // Class.getResource finds the module's own resources, encapsulated or not, on either path.
        URL marker = GuestStdlib.class.getResource("/" + MARKER);
        if (marker == null) {
            throw new IllegalStateException("the guest stdlib is missing from the class path (" + MARKER + ")");
        }
        try {
            URI uri = marker.toURI();
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem zip = FileSystems.newFileSystem(uri, Map.of())) {
                    return read(zip.getPath("/" + ROOT));
                }
            }
            return read(Path.of(uri).getParent().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the guest stdlib", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, byte[]> read(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    String relative = root.relativize(p).toString().replace('\\', '/');
                    if (!relative.contains("__pycache__")) {
                        files.put(relative, Files.readAllBytes(p));
                    }
                }
            }
        }
        return files;
    }
}
