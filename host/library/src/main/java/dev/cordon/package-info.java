/**
 * The API: {@link dev.cordon.Cordon} (one per application), {@link dev.cordon.Execution} (one call: code,
 * principal, grants, parameters, limits), {@link dev.cordon.ExecutionResult} and its parts, {@link dev.cordon.Limits},
 * {@link dev.cordon.Backend}, {@link dev.cordon.Session}, and the readers of sizes and durations as people
 * write them. The call runner behind them is package-private.
 *
 * <p>May use: {@code dev.cordon.capabilities...}, {@code dev.cordon.engine} (the backend seam, never a
 * backend's own package) and {@code dev.cordon.governor}.
 */
package dev.cordon;
