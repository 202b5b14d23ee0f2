/**
 * The Python every sandbox sees read-only, shipped as resources: the public {@code cordon} package, the
 * private modules all backends share ({@code cordon._world}, {@code cordon._describe}), and each backend's
 * own ({@code _cordon_graalpy}, {@code _cordon_pypy}). {@link dev.cordon.guest.GuestStdlib} reads them.
 *
 * <p>May use: the JDK only.
 */
package dev.cordon.guest;
