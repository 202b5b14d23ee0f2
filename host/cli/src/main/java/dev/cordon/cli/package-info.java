/**
 * The {@code cordon} command: {@code run}, {@code repl}, {@code serve} and {@code bench}, on picocli.
 *
 * <p>May use: the library's exported API, {@code dev.cordon.serve}, picocli, and GraalVM's polyglot API for
 * the bench's bare-GraalPy baseline. Never the library's internal packages.
 */
package dev.cordon.cli;
