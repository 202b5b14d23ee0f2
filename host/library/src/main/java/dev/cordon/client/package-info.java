/**
 * A client of {@code cordon serve}: the same {@link dev.cordon.ExecutionResult} over HTTP.
 *
 * <p>May use: the API, {@code dev.cordon.json}, Jackson and the JDK's HTTP client.
 */
package dev.cordon.client;
