package dev.cordon.capabilities.posix;

/** A refused system call of a {@link VirtualProcess}: the errno the guest's libc sees. */
public final class PosixException extends Exception {
    private final int errno;

    public PosixException(int errno) {
        super(Errno.message(errno), null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
