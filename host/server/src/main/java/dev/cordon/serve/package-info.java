/**
 * {@code cordon serve}: the library behind an HTTP API, with API keys, per-key grants and limits, a bounded
 * queue, health and Prometheus metrics.
 *
 * <p>May use: the library's exported API, {@code dev.cordon.json}, Jackson, Micrometer and the JDK's HTTP server.
 */
package dev.cordon.serve;
