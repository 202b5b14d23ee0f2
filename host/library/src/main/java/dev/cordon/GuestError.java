package dev.cordon;

import java.util.Objects;

/**
 * The exception that ended a guest's code, in Python's terms.
 *
 * @param type      the exception's class name, such as {@code ZeroDivisionError} or {@code mymodule.MyError}
 * @param message   {@code str(exception)}
 * @param traceback the traceback as Python prints it, naming only the guest's own sources
 */
public record GuestError(String type, String message, String traceback) {
    public GuestError {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(traceback, "traceback");
    }
}
