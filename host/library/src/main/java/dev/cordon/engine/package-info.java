/**
 * The backend seam: an {@link dev.cordon.engine.Engine} opens {@link dev.cordon.engine.Sandbox sandboxes}; a
 * sandbox runs a {@link dev.cordon.engine.RunSpec} (the program, the streams, the {@link dev.cordon.engine.CallBridge}
 * to the call, the limits), cancels, and reports its CPU. {@link dev.cordon.engine.Engines} is the one place that
 * maps the configuration to an implementation; {@link dev.cordon.engine.ReservedPaths} is the sandbox's own layout.
 * Not exported.
 *
 * <p>May use: the API's value types ({@code Limits}, {@code Status}, {@code GuestError}, {@code Backend}),
 * {@code dev.cordon.capabilities...}, and its implementation packages (from {@code Engines} only).
 */
package dev.cordon.engine;
