package dev.cordon.engine.graalpy;

import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What the operation guard ({@code _cordon_graalpy/guard.py}) says about the programs it rewrites, asked of
 * the guard itself once per engine so that the host never keeps a copy of its own:
 *
 * @param triggers       text that every program the rewrite would change contains (the guard's
 *                       {@code TRIGGERS}); a program with none of them runs as written, with no rewrite at all
 * @param maxSourceChars the guard's {@code MAX_SOURCE}: GraalPy's parser cannot be interrupted, and a
 *                       pathological expression of a few megabytes keeps it busy for seconds, so a longer program
 *                       goes to the guard, which refuses it before parsing
 */
record GuardFacts(List<String> triggers, int maxSourceChars) {

    GuardFacts {
        triggers = List.copyOf(triggers);
    }

    /** Loads the guard's module in a context with no I/O at all and reads its two facts. */
    static GuardFacts of(Engine engine, String guardSource) {
        try (Context probe = Context.newBuilder("python").engine(engine)
                .out(OutputStream.nullOutputStream()).err(OutputStream.nullOutputStream())
                .allowIO(IOAccess.NONE).build()) {
            probe.eval(Source.newBuilder("python", guardSource, "<cordon-guard-facts>").buildLiteral());
            Value globals = probe.getBindings("python");
            Value t = globals.getMember("TRIGGERS");
            List<String> triggers = new ArrayList<>();
            for (long i = 0; i < t.getArraySize(); i++) {
                triggers.add(t.getArrayElement(i).asString());
            }
            return new GuardFacts(triggers, globals.getMember("MAX_SOURCE").asInt());
        }
    }

    /** Whether the guard must see this program: false means it can run exactly as written. */
    boolean mayNeedGuard(String code) {
        if (code.length() > maxSourceChars) {
            return true;
        }
        for (String trigger : triggers) {
            if (code.contains(trigger)) {
                return true;
            }
        }
        return false;
    }
}
