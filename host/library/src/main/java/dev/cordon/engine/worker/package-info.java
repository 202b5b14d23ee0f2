/**
 * GraalPy in worker processes: the {@link dev.cordon.engine.Engine} of {@link dev.cordon.Isolation#PROCESS}.
 *
 * <p>The parent side is {@link dev.cordon.engine.worker.WorkerEngine} (the pool: workers started ahead of demand,
 * killed and replaced), {@code WorkerProcess} (one child JVM) and {@code WorkerSandbox} (one call in one worker,
 * its limits kept here). The child side is {@link dev.cordon.engine.worker.WorkerMain}, a warm GraalPy engine that
 * runs one call at a time. Between them, {@code Wire} (length-prefixed frames, every length and count checked
 * before it is trusted) carries the call's code and limits one way, and its output, audit events and results the
 * other; every file operation on the call's mounts ({@code TreeCalls}) and every bridge call ({@code BridgeCalls})
 * is a request from the worker that the parent answers from the call's own filesystem and gateway. The worker
 * holds no host path, mount, credential or token.
 */
package dev.cordon.engine.worker;
