package dev.cordon.engine;

import dev.cordon.GuestError;
import dev.cordon.Status;

/**
 * How a run ended as its backend saw it: a status and, unless OK, the guest's error. The call runner puts a
 * limit reached in its place, since a cancelled interpreter cannot say which limit cancelled it.
 */
public record Outcome(Status status, GuestError error) {

    public static final Outcome OK = new Outcome(Status.OK, null);

    /** The backend itself failed (the interpreter could not start, a pipe broke). */
    public static Outcome internal(String type, String message) {
        return new Outcome(Status.INTERNAL, new GuestError(type, message, ""));
    }

    /** The guest's code raised. */
    public static Outcome error(GuestError error) {
        return new Outcome(Status.ERROR, error);
    }
}
