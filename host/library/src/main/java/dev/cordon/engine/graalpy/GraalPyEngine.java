package dev.cordon.engine.graalpy;

import dev.cordon.capabilities.posix.GuestWorld;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import dev.cordon.engine.Engine;
import dev.cordon.engine.Sandbox;

import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * GraalPy in this JVM: each sandbox is a fresh context of the JVM's one shared polyglot engine
 * ({@link GraalPyRuntime}), taken from those prepared ahead of demand when one is ready. Sessions keep a
 * context across runs.
 */
public final class GraalPyEngine implements Engine {

    private final GraalPyRuntime runtime;
    private final PreparedSandboxes prepared;
    private final String world;
    private final int uid;
    private final int gid;

    /**
     * Starts GraalPy (seconds, the first time in a JVM) and begins preparing contexts.
     *
     * @param world            the guest's virtual world, applied by each context's boot
     * @param preparedContexts how many contexts to keep booted ahead of demand (0 for none)
     * @param busy             whether calls are running now: preparing then waits while one context is ready
     * @param betweenCalls     whether contexts are prepared only while no call runs (a worker process, whose one
     *                         call should have the process's processor time to itself)
     * @param preload          standard modules each prepared context imports before its call
     */
    public GraalPyEngine(GuestWorld world, int preparedContexts, BooleanSupplier busy, boolean betweenCalls,
                         java.util.List<String> preload) {
        this.runtime = GraalPyRuntime.acquire();
        this.world = world.toText();
        this.uid = world.uid();
        this.gid = world.gid();
        this.prepared = preparedContexts > 0
                ? new PreparedSandboxes(runtime, this.world, preparedContexts, busy, betweenCalls, preload) : null;
    }

    /** The library's read-only trees and /dev; what the call may write is the guest user's own. */
    @Override
    public VirtualFileSystem.Builder baseFileSystem() {
        return runtime.baseFileSystem().owner(uid, gid);
    }

    @Override
    public Sandbox open(VirtualFileSystem fileSystem, String cwd) {
        VirtualPath dir = VirtualPath.of(cwd);
        GraalPySandbox ready = prepared == null ? null : prepared.take();
        if (ready != null) {
            ready.use(fileSystem, dir);
            return ready;
        }
        return GraalPySandbox.open(runtime, world, fileSystem, dir);
    }

    @Override
    public boolean jitCompiled() {
        return runtime.jitCompiled();
    }

    @Override
    public boolean sessions() {
        return true;
    }

    @Override
    public int preparedReady() {
        return prepared == null ? 0 : prepared.ready();
    }

    @Override
    public void close() {
        if (prepared != null) {
            prepared.close();
        }
        try {
            runtime.close();
        } catch (RuntimeException e) {
            // Contexts still draining keep the engine busy; it is released when they end.
        }
    }

    /**
     * Whether this JVM was started with what GraalPy's optimizing runtime needs: JVMCI enabled and the Graal
     * compiler on the upgrade module path. The worker processes get the same set-up.
     */
    public static boolean compilerConfigured() {
        String upgrade = System.getProperty("jdk.module.upgrade.path", "");
        return upgrade.contains("compiler") && java.lang.management.ManagementFactory.getRuntimeMXBean()
                .getInputArguments().contains("-XX:+EnableJVMCI");
    }

    private static final java.util.concurrent.atomic.AtomicBoolean REPORTED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Tells the host once per JVM, in its log, when guest code will run in GraalPy's interpreter (10 to 40 times
     * slower) and how to give it the compiler.
     */
    public static void reportJit(boolean compiled) {
        if (!compiled && REPORTED.compareAndSet(false, true)) {
            Logger.getLogger("dev.cordon.graalpy").warning("guest code runs in GraalPy's interpreter, without the JIT (10 to 40 times slower): this JVM "
                    + "has no Graal compiler. On JDK 25 start it with -XX:+UnlockExperimentalVMOptions "
                    + "-XX:+EnableJVMCI --upgrade-module-path=<the jars of org.graalvm.compiler:compiler, "
                    + "org.graalvm.truffle:truffle-compiler, org.graalvm.sdk:collections and org.graalvm.sdk:word, "
                    + "version 25.0.3>, the polyglot jars on the module path and Cordon's on the class path; see the README, "
                    + "\"Adding Cordon to "
                    + "your own project\". JDK 21 to 24 cannot host this compiler.");
        }
    }
}
