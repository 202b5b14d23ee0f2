package dev.cordon;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which interpreter runs the guest's code. Immutable configuration, chosen once per {@link Cordon}. Both
 * backends give a call the same virtual filesystem, the same gateway and the same kind of result; they
 * differ in isolation (a context in this JVM, or a separate process), speed and Python version.
 */
public sealed interface Backend permits Backend.GraalPy, Backend.PyPy {

    /** The environment variable that names the backend: {@code graalpy} (the default) or {@code pypy}. */
    String BACKEND_VARIABLE = "CORDON_BACKEND";
    /** The environment variable that names a {@code pypy-c-sandbox} binary. */
    String PYPY_VARIABLE = "CORDON_PYPY_SANDBOX";

    /** GraalPy in this JVM: a fresh isolated context per call on one shared engine. */
    static Backend graalPy() {
        return GraalPy.INSTANCE;
    }

    /**
     * An external {@code pypy-c-sandbox} process per call, driven by Cordon's controller over the system-call
     * protocol the binary speaks. Its standard library is looked for next to the binary unless
     * {@link PyPy#libraryRoot(Path)} says where.
     */
    static PyPy pypySandbox(Path binary) {
        return new PyPy(binary, null, 0, PyPy.Protocol.DETECT);
    }

    /**
     * The backend a deployment chose through its environment: {@value #BACKEND_VARIABLE} ({@code graalpy} or
     * {@code pypy}, default {@code graalpy}) and, for {@code pypy}, {@value #PYPY_VARIABLE}.
     *
     * @throws IllegalArgumentException if the variables name no usable backend
     */
    static Backend fromEnvironment(Map<String, String> env) {
        String name = Optional.ofNullable(env.get(BACKEND_VARIABLE)).orElse("").trim().toLowerCase(Locale.ROOT);
        String binary = env.get(PYPY_VARIABLE);
        return switch (name) {
            case "", "graalpy" -> graalPy();
            case "pypy" -> {
                if (binary == null || binary.isBlank()) {
                    throw new IllegalArgumentException(BACKEND_VARIABLE + "=pypy needs " + PYPY_VARIABLE
                            + " to name a pypy-c-sandbox binary");
                }
                yield pypySandbox(Path.of(binary));
            }
            default -> throw new IllegalArgumentException(BACKEND_VARIABLE + " is '" + name
                    + "'; it may be graalpy or pypy");
        };
    }

    /** The in-process GraalPy backend. */
    final class GraalPy implements Backend {
        static final GraalPy INSTANCE = new GraalPy();

        private GraalPy() {
        }

        @Override
        public String toString() {
            return "graalpy";
        }
    }

    /**
     * The external PyPy sandbox backend. Immutable; each {@code with} method returns a changed copy.
     *
     * @param binary      the {@code pypy-c-sandbox} executable
     * @param libraryRoot the directory holding {@code lib-python} and {@code lib_pypy}, or null to look for
     *                    them from the binary's directory upwards (where a PyPy checkout has them)
     * @param heapSize    the interpreter's heap bound in bytes ({@code --heapsize}), or 0 for the call's memory
     *                    limit
     * @param protocol    which wire protocol the binary speaks, or {@link Protocol#DETECT}
     */
    record PyPy(Path binary, Path libraryRoot, long heapSize, Protocol protocol) implements Backend {

        /** The two sandbox protocols PyPy has had. */
        public enum Protocol {
            /** Ask the binary: a sandbox-2 binary answers {@code RPY_SANDBOX_DUMP=1} with its functions. */
            DETECT,
            /** PyPy 1.x to 7.x: marshalled {@code ll_os.ll_os_*} calls. */
            LEGACY,
            /** PyPy's sandbox-2 branches: C signatures with memory access by the controller. */
            SANDBOX2
        }

        public PyPy {
            Objects.requireNonNull(binary, "binary");
            Objects.requireNonNull(protocol, "protocol");
            if (heapSize < 0) {
                throw new IllegalArgumentException("heapSize must not be negative");
            }
        }

        public PyPy libraryRoot(Path root) {
            return new PyPy(binary, Objects.requireNonNull(root, "root"), heapSize, protocol);
        }

        public PyPy heapSize(long bytes) {
            return new PyPy(binary, libraryRoot, bytes, protocol);
        }

        public PyPy protocol(Protocol p) {
            return new PyPy(binary, libraryRoot, heapSize, p);
        }

        @Override
        public String toString() {
            return "pypy";
        }
    }
}
