/**
 * The guest's POSIX world: its virtual identity and environment ({@link dev.cordon.capabilities.posix.GuestWorld},
 * defined once for every backend), and the system calls of an external interpreter answered over the virtual
 * filesystem ({@link dev.cordon.capabilities.posix.VirtualProcess}, with errno values and stat records).
 *
 * <p>May use: {@code dev.cordon.capabilities}, {@code dev.cordon.capabilities.vfs} and the JDK.
 */
package dev.cordon.capabilities.posix;
