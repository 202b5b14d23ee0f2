package dev.cordon.capabilities;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the host may hold of one call beyond its output streams: its audit events, its result value and its
 * error (message and traceback), counted in UTF-8 bytes against one bound. Every string a guest can make the
 * host keep is charged here before it is kept, so that a guest that floods denials, raises a huge exception or
 * returns a huge value gets a truncated answer, never more host memory. Thread-safe.
 */
public final class ResponseBudget {

    /** The longest string one audit field keeps, in characters; the rest is cut, and the cut marked. */
    public static final int MAX_FIELD_CHARS = 1024;

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /** @param limit the bytes the call's response may hold, events, value and error together */
    public ResponseBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a response budget is at least one byte");
        }
        this.limit = limit;
    }

    /** A budget that holds anything (for trails that belong to no call). */
    public static ResponseBudget unbounded() {
        return new ResponseBudget(Long.MAX_VALUE);
    }

    public long limit() {
        return limit;
    }

    public long used() {
        return used.get();
    }

    public long remaining() {
        return Math.max(0, limit - used.get());
    }

    /** Takes {@code bytes} if they fit; false, and nothing taken, if they do not. */
    public boolean take(long bytes) {
        while (true) {
            long now = used.get();
            if (bytes > limit - now) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back what was taken for something no longer kept (a result replaced by a later one). */
    public void release(long bytes) {
        used.addAndGet(-Math.min(bytes, used.get()));
    }

    /** The UTF-8 length of a string, without encoding it. */
    public static long utf8Length(CharSequence s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * {@code s} cut to at most {@code max} characters (never inside a surrogate pair), the cut marked with how
     * much was left out; {@code s} itself when it fits.
     */
    public static String cut(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = max;
        if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "…[" + (s.length() - end) + " more characters cut]";
    }

    /**
     * {@code s} cut so that its UTF-8 bytes fit in what remains, taking them; keeps the end of the text when
     * {@code keepEnd} (a traceback's last lines are what matter). Returns the empty string when nothing is left.
     */
    public String takeText(String s, boolean keepEnd) {
        long bytes = utf8Length(s);
        if (take(bytes)) {
            return s;
        }
        long room = remaining();
        String mark = "…[cut: past the call's response budget of " + limit + " bytes]";
        if (room <= mark.length() + 16) {
            return "";
        }
        // Characters take 1 to 3 bytes (4 for a pair); a third of the room in characters always fits.
        int chars = (int) Math.min(s.length(), (room - mark.length()) / 3);
        String kept = keepEnd ? mark + s.substring(s.length() - chars) : s.substring(0, chars) + mark;
        return take(utf8Length(kept)) ? kept : "";
    }

    static long charge(String... fields) {
        long n = 64;
        for (String f : fields) {
            n += f == null ? 0 : utf8Length(f);
        }
        return n;
    }
}
