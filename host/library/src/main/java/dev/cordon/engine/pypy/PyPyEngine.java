package dev.cordon.engine.pypy;

import dev.cordon.Backend;
import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.vfs.DeviceTree;
import dev.cordon.capabilities.vfs.HostTree;
import dev.cordon.capabilities.vfs.MemoryTree;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.engine.Engine;
import dev.cordon.engine.Sandbox;
import dev.cordon.guest.GuestStdlib;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The external PyPy backend: a {@code pypy-c-sandbox} process per run ({@link PyPyRun}), its system calls
 * served over the call's virtual filesystem. Holds what every run needs: the checked binary, its standard
 * library, the protocol it speaks, and the read-only layout every run sees. No sessions: a process per run.
 *
 * <p>The interpreter sees itself at {@value #EXECUTABLE}, its standard library at {@code /pypy/lib-python}
 * and {@code /pypy/lib_pypy}, the guest stdlib at {@value #GUEST_LIB}, and the call's code and gateway in
 * {@code /dev/cordon}; no host path appears anywhere.
 */
public final class PyPyEngine implements Engine {

    /** The interpreter's own path as it sees it (its {@code argv[0]} and {@code sys.executable}). */
    public static final String EXECUTABLE = "/pypy/bin/pypy-c";
    /** Where the guest stdlib (the {@code cordon} package) is. */
    public static final String GUEST_LIB = "/usr/lib/cordon";
    /** The script that links the guest stdlib to the host and runs the call's code. */
    static final String MAIN = GUEST_LIB + "/_cordon_pypy/main.py";

    private final Backend.PyPy config;
    private final GuestWorld world;
    private final Path binary;
    private final Path libraryRoot;
    private final Backend.PyPy.Protocol protocol;
    private final HostTree libPython;
    private final HostTree libPypy;
    private final MemoryTree guestStdlib;

    /**
     * Checks the binary and its library and finds out its protocol (this starts the binary once).
     *
     * @throws IllegalArgumentException if the binary or its library is missing or unusable, or if the binary
     *                                  speaks neither protocol or may call functions Cordon does not serve
     */
    public PyPyEngine(Backend.PyPy config, GuestWorld world) {
        this.config = config;
        this.world = world;
        Path b = config.binary().toAbsolutePath();
        if (!Files.isRegularFile(b) || !Files.isExecutable(b)) {
            throw new IllegalArgumentException("the PyPy sandbox binary " + config.binary()
                    + " does not exist or is not executable");
        }
        this.binary = b;
        this.libraryRoot = config.libraryRoot() != null ? config.libraryRoot().toAbsolutePath() : findLibrary(b);
        if (!Files.isDirectory(libraryRoot.resolve("lib-python")) || !Files.isDirectory(libraryRoot.resolve("lib_pypy"))) {
            throw new IllegalArgumentException("no PyPy standard library in " + libraryRoot
                    + " (it needs lib-python and lib_pypy)");
        }
        this.libPython = new HostTree(libraryRoot.resolve("lib-python"));
        this.libPypy = new HostTree(libraryRoot.resolve("lib_pypy"));
        this.guestStdlib = new MemoryTree(GuestStdlib.files(), Instant.now());
        this.protocol = config.protocol() != Backend.PyPy.Protocol.DETECT ? config.protocol() : detect(b);
    }

    public Backend.PyPy.Protocol protocol() {
        return protocol;
    }

    /** The guest's virtual world, which the start-up script applies and the controllers answer from. */
    GuestWorld world() {
        return world;
    }

    Path binary() {
        return binary;
    }

    /** The read-only part of a run's filesystem: the interpreter, its library, the guest stdlib, devices. */
    @Override
    public VirtualFileSystem.Builder baseFileSystem() {
        return VirtualFileSystem.builder().mount("/pypy/bin", new InterpreterTree("pypy-c"))
                .mount("/pypy/lib-python", libPython).mount("/pypy/lib_pypy", libPypy)
                .mount(GUEST_LIB, guestStdlib).mount("/dev", new DeviceTree()).owner(world.uid(), world.gid());
    }

    @Override
    public Sandbox open(VirtualFileSystem fileSystem, String cwd) {
        return new PyPySandbox(this, fileSystem, cwd);
    }

    @Override
    public boolean sessions() {
        return false;
    }

    @Override
    public void close() {
        // Each run's process ends with its run; nothing is held between runs.
    }

    private static Path findLibrary(Path binary) {
        Path real;
        try {
            real = binary.toRealPath();
        } catch (IOException e) {
            real = binary;
        }
        for (Path dir = real.getParent(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("lib-python")) && Files.isDirectory(dir.resolve("lib_pypy"))) {
                return dir;
            }
        }
        throw new IllegalArgumentException("no PyPy standard library (lib-python and lib_pypy) in a directory"
                + " above " + binary + "; name it with libraryRoot");
    }

    /**
     * Asks the binary which protocol it speaks. A sandbox-2 binary given {@code RPY_SANDBOX_DUMP=1} prints
     * its capability list and exits; a legacy binary ignores the variable and starts with a marshalled call
     * (a function name such as {@code ll_os.ll_os_getenv}), then waits for an answer it never gets.
     */
    static Backend.PyPy.Protocol detect(Path binary) {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-S", "-c", "pass");
        pb.environment().clear();
        pb.environment().put("RPY_SANDBOX_DUMP", "1");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = null;
        try {
            p = pb.start();
            Process started = p;
            Thread killer = Thread.ofPlatform().daemon().start(() -> {
                try {
                    if (!started.waitFor(10, TimeUnit.SECONDS)) {
                        started.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    started.destroyForcibly();
                }
            });
            InputStream in = p.getInputStream();
            int first = in.read();
            String head;
            if (first == 's') {
                ChildStream child = new ChildStream(in);
                byte[] name = child.readBytes(child.readInt32(), 255, "a function name");
                head = "s" + new String(name, StandardCharsets.ISO_8859_1);
            } else {
                head = (first < 0 ? "" : String.valueOf((char) first))
                        + new String(in.readNBytes(64 << 10), StandardCharsets.ISO_8859_1);
            }
            killer.interrupt();
            if (head.startsWith("Version:")) {
                try {
                    Sandbox2Controller.checkDump(head);
                } catch (ProtocolException e) {
                    throw new IllegalArgumentException("the PyPy sandbox binary " + binary + " cannot be served: "
                            + e.getMessage());
                }
                return Backend.PyPy.Protocol.SANDBOX2;
            }
            if (head.startsWith("sll_")) {
                return Backend.PyPy.Protocol.LEGACY;
            }
            throw new IllegalArgumentException("the binary " + binary + " speaks no PyPy sandbox protocol (it"
                    + " wrote " + (head.isEmpty() ? "nothing" : "'" + Sandbox2Controller.printable(
                    head.substring(0, Math.min(40, head.length()))) + "'") + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot start the PyPy sandbox binary " + binary + ": "
                    + e.getMessage(), e);
        } finally {
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The interpreter's heap bound for a call: the configured one, else the call's memory limit. */
    long heapBytes(long memoryLimit) {
        return config.heapSize() > 0 ? config.heapSize() : memoryLimit;
    }

    /** The interpreter's command line after its name: the heap bound, then the start-up script. */
    List<String> arguments(long memoryLimit) {
        List<String> args = new ArrayList<>();
        long heap = heapBytes(memoryLimit);
        if (heap > 0 && heap < Long.MAX_VALUE) {
            args.add("--heapsize");
            args.add(Long.toString(heap));
        }
        args.add("-S");
        args.add(MAIN);
        return args;
    }
}
