/**
 * The result's JSON form, shared by {@code cordon run --json}, the service and its client.
 *
 * <p>May use: the API, {@code dev.cordon.capabilities} and Jackson.
 */
package dev.cordon.json;
