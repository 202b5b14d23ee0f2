package dev.cordon.engine.pypy;

import java.io.IOException;

/**
 * The sandboxed process broke its protocol: a malformed frame, a lying length, an unknown message, or an
 * end of stream in the middle of a message. The run ends; the controller never trusts the stream again.
 */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
