package dev.cordon;

/**
 * Which interpreter runs the guest's code. Immutable configuration, chosen once per {@link Cordon}.
 */
public sealed interface Backend permits Backend.GraalPy {

    /** GraalPy in this JVM: a fresh isolated context per call on one shared engine. */
    static Backend graalPy() {
        return GraalPy.INSTANCE;
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
}
