/**
 * The per-user background process that keeps a warm engine for {@code cordon run} and {@code cordon repl}: a
 * small client that a short-lived JVM can start in milliseconds ({@link dev.cordon.cli.daemon.DaemonClient},
 * nothing but {@code java.base} and {@code jdk.net}), the process that answers it
 * ({@link dev.cordon.cli.daemon.DaemonServer}), and the frames between them ({@code Wire}) over a Unix-domain
 * socket in a directory only its user can open ({@code Place}).
 */
package dev.cordon.cli.daemon;
