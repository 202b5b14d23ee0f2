package dev.cordon.engine.graalpy;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The JVM's GraalPy runtime for one test class: acquired before its tests, released after them. */
final class RuntimeExtension implements BeforeAllCallback, AfterAllCallback {

    private GraalPyRuntime runtime;

    @Override
    public void beforeAll(ExtensionContext context) {
        runtime = GraalPyRuntime.acquire();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        runtime.close();
    }

    GraalPyRuntime get() {
        return runtime;
    }
}
