/**
 * The virtual filesystem one call sees: a mount table of trees (read-only host directories, the guest
 * stdlib in memory, devices, and each principal's persistent {@code /tmp} under the data directory with its
 * quota ledger), resolved lexically so that no string the guest writes reaches past the table.
 *
 * <p>May use: {@code dev.cordon.capabilities} and the JDK.
 */
package dev.cordon.capabilities.vfs;
