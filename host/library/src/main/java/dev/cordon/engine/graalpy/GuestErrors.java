package dev.cordon.engine.graalpy;

import dev.cordon.GuestError;
import dev.cordon.Status;
import dev.cordon.engine.Outcome;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns what GraalPy throws into a status and an error in Python's terms. Host details (Java class
 * names, host paths, host stack frames) never pass through: internal errors are reported by what they
 * mean for the guest, and tracebacks list guest frames only.
 */
final class GuestErrors {

    private static final System.Logger LOG = System.getLogger(GuestErrors.class.getName());

    private GuestErrors() {
    }

    static Outcome translate(PolyglotException e, Value describe, Source source) {
        return translate(e, describe, source, null);
    }

    /**
     * @param guardedText the guarded text that ran in the program's place, or null: the traceback quotes the
     *                    program's own lines, and marks columns only on the lines the guard left as they were
     */
    static Outcome translate(PolyglotException e, Value describe, Source source, String guardedText) {
        if (e.isExit()) {
            return exited(e.getExitStatus(), e);
        }
        if (e.isCancelled()) {
            // The caller knows which limit (if any) caused it; this is only the fallback.
            return new Outcome(Status.INTERNAL, new GuestError("CancelledError", "the run was cancelled", ""));
        }
        if (e.isResourceExhausted() && !e.isGuestException()) {
            if (String.valueOf(e.getMessage()).contains("Stack overflow")) {
                // The guest's recursion filled its thread's stack inside a call into the host, where GraalPy's own
                // RecursionError cannot be raised: the guest's fault all the same, and no memory was exhausted.
                String message = "maximum recursion depth exceeded (the stack overflowed in a call to the host)";
                return new Outcome(Status.ERROR,
                        new GuestError("RecursionError", message, "RecursionError: " + message));
            }
            return new Outcome(Status.MEMORY_LIMIT,
                    new GuestError("MemoryError", "the host ran out of memory for this run", ""));
        }
        if (e.isInternalError() || e.isHostException()) {
            return internal(e);
        }
        GuestError error = describe(e, describe, source, guardedText);
        if (error == null) {
            String type = typeName(e);
            String message = messageOf(e, type);
            error = new GuestError(type, message, traceback(e, message.isEmpty() ? type : type + ": " + message));
        }
        String type = error.type();
        Status status = type.equals("MemoryError") ? Status.MEMORY_LIMIT : Status.ERROR;
        return new Outcome(status, error);
    }

    /** The end of a run that exited with {@code code}: OK for 0, else SystemExit with the code. */
    static Outcome exited(int code, PolyglotException e) {
        return code == 0 ? Outcome.OK
                : new Outcome(Status.ERROR,
                new GuestError("SystemExit", String.valueOf(code), traceback(e, "SystemExit: " + code)));
    }

    /**
     * An internal error provoked by the guest. GraalPy reports some permission refusals this way (process
     * creation, threads, host operations) when guest code reaches the original entry points; they become
     * a PermissionError. Anything else is an interpreter fault the guest caused: a SystemError.
     */
    private static Outcome internal(PolyglotException e) {
        String text = String.valueOf(e.getMessage());
        String what = null;
        if (text.contains("Process creation") || text.contains("process")) {
            what = "process creation is not available in the sandbox";
        } else if (text.contains("Creating threads")) {
            what = "threads are not available in the sandbox";
        } else if (text.contains("SecurityException") || text.contains("not allowed")) {
            what = "the operation is not available in the sandbox";
        }
        if (what != null) {
            String message = "[Errno 1] Operation not permitted: " + what;
            return new Outcome(Status.ERROR,
                    new GuestError("PermissionError", message, traceback(e, "PermissionError: " + message)));
        }
        String message = "the interpreter failed internally; the sandbox was discarded";
        // The guest sees only that; the fault itself is the operator's to read.
        LOG.log(System.Logger.Level.WARNING, "the interpreter failed internally on guest code", e);
        return new Outcome(Status.ERROR,
                new GuestError("SystemError", message, traceback(e, "SystemError: " + message)));
    }

    /** Asks Python to describe its own exception: the type, str() and the traceback as Python prints it. */
    private static GuestError describe(PolyglotException e, Value describe, Source source, String guardedText) {
        if (describe == null || e.isSyntaxError() && e.getGuestObject() == null) {
            return null;
        }
        try {
            Value guest = e.getGuestObject();
            if (guest == null || guest.isNull()) {
                return null;
            }
            Value d = describe.execute(guest, source.getCharacters().toString(), source.getName(), guardedText);
            return new GuestError(d.getArrayElement(0).asString(), d.getArrayElement(1).asString(),
                    d.getArrayElement(2).asString());
        } catch (RuntimeException failed) {
            return null;
        }
    }

    private static String typeName(PolyglotException e) {
        if (e.isSyntaxError()) {
            return "SyntaxError";
        }
        try {
            Value guest = e.getGuestObject();
            if (guest != null && guest.getMetaObject() != null) {
                String name = guest.getMetaObject().getMetaQualifiedName();
                return name.startsWith("builtins.") ? name.substring("builtins.".length()) : name;
            }
        } catch (RuntimeException ignored) {
            // The context may be unusable; fall back to the message's prefix.
        }
        String m = String.valueOf(e.getMessage());
        int colon = m.indexOf(':');
        return colon > 0 && m.substring(0, colon).matches("[\\w.]+") ? m.substring(0, colon) : "Exception";
    }

    private static String messageOf(PolyglotException e, String type) {
        String m = e.getMessage();
        if (m == null) {
            return "";
        }
        String simple = type.substring(type.lastIndexOf('.') + 1);
        for (String prefix : new String[] {type + ": ", simple + ": "}) {
            if (m.startsWith(prefix)) {
                return m.substring(prefix.length());
            }
        }
        return m.equals(type) || m.equals(simple) ? "" : m;
    }

    /** A Python-style traceback of the guest frames, most recent call last. */
    static String traceback(PolyglotException e, String lastLine) {
        List<String> frames = new ArrayList<>();
        for (PolyglotException.StackFrame frame : e.getPolyglotStackTrace()) {
            if (!frame.isGuestFrame()) {
                continue;
            }
            SourceSection at = frame.getSourceLocation();
            if (at == null || at.getSource() == null || at.getSource().getName().startsWith("<cordon")
                    || at.getSource().getName().startsWith(GraalPyRuntime.GUEST_LIB + "/")) {
                continue;
            }
            String root = frame.getRootName() == null || frame.getRootName().isEmpty() ? "<module>" : frame.getRootName();
            StringBuilder sb = new StringBuilder();
            sb.append("  File \"").append(at.getSource().getName()).append("\", line ").append(at.getStartLine())
                    .append(", in ").append(root.substring(root.lastIndexOf('.') + 1)).append('\n');
            if (at.getSource().hasCharacters() && at.getStartLine() > 0) {
                try {
                    String line = at.getSource().getCharacters(at.getStartLine()).toString().strip();
                    if (!line.isEmpty()) {
                        sb.append("    ").append(line).append('\n');
                    }
                } catch (RuntimeException ignored) {
                    // No text for this line.
                }
            }
            frames.add(0, sb.toString());
        }
        StringBuilder sb = new StringBuilder();
        if (!frames.isEmpty()) {
            sb.append("Traceback (most recent call last):\n");
            frames.forEach(sb::append);
        }
        return sb.append(lastLine).append('\n').toString();
    }
}
