/**
 * The gateway: host services registered by name ({@link dev.cordon.capabilities.gateway.Service}, the SPI an
 * application implements), and the unforgeable tokens through which one call reaches the services it was
 * granted. Authority comes from the {@link dev.cordon.capabilities.gateway.CallContext} the host builds, never
 * from arguments the guest chose.
 *
 * <p>May use: {@code dev.cordon.capabilities} and the JDK.
 */
package dev.cordon.capabilities.gateway;
