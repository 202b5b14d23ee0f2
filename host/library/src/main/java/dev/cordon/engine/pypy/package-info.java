/**
 * The external PyPy sandbox: a {@code pypy-c-sandbox} process per run, its system calls answered by a
 * controller for one of its two protocols (legacy marshal, sandbox-2), each a table of small handlers over a
 * {@link dev.cordon.capabilities.posix.VirtualProcess}, and {@code /dev/cordon} for the code and the gateway.
 * Not exported.
 *
 * <p>May use: {@code dev.cordon.engine}, {@code dev.cordon.capabilities...}, {@code dev.cordon.guest} and the JDK.
 * Never GraalVM.
 */
package dev.cordon.engine.pypy;
