/**
 * Zoobar, the MIT 6.858 profile lab rebuilt on Cordon: users, zoobar transfers and Python profiles that run
 * as their owner, on the JDK's HTTP server and one SQLite file.
 *
 * <p>May use: the library's exported API ({@code dev.cordon}, {@code dev.cordon.capabilities...}), picocli and
 * the SQLite driver.
 */
package dev.cordon.examples.zoobar;
