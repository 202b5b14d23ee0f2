/**
 * The policy every backend applies, with no interpreter in sight: capability names and grants
 * ({@link dev.cordon.capabilities.Capability}, {@link dev.cordon.capabilities.Grants}), principals, the audit
 * trail of one call, and the JSON form of values that cross between guest and host.
 *
 * <p>May use: the JDK, Caffeine and Jackson. Never an engine: nothing here imports GraalVM or knows which
 * interpreter runs the guest, so a rule fixed here is fixed for every backend.
 */
package dev.cordon.capabilities;
