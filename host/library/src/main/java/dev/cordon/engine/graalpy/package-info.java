/**
 * GraalPy in this JVM: one shared polyglot engine per JVM, a sandboxed context per call (or per session),
 * contexts prepared ahead of demand, the polyglot {@code FileSystem} over the virtual filesystem, the guest's
 * bridge object, the code the boot and the guard share between contexts, and the interpreter's classes
 * initialised before any context (so that no guest recursion meets one first at the bottom of its stack). Not
 * exported.
 *
 * <p>May use: {@code dev.cordon.engine}, {@code dev.cordon.capabilities...}, {@code dev.cordon.guest}, GraalVM's
 * polyglot API and Caffeine.
 */
package dev.cordon.engine.graalpy;
