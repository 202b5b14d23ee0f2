package dev.cordon.capabilities;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit events of one call. Thread-safe. Bounded, because a hostile guest can provoke denials in a
 * loop with strings of its choosing: each field is cut to {@link ResponseBudget#MAX_FIELD_CHARS} characters
 * (the cut marked), each event is charged to the call's {@link ResponseBudget}, and past {@code capacity}
 * events or past the budget only a count is kept ({@link #dropped()}), reported by one last event.
 */
public final class AuditTrail {

    /** The default number of events kept per call. */
    public static final int DEFAULT_CAPACITY = 1_000;

    private final Clock clock;
    private final int capacity;
    private final ResponseBudget budget;
    private final List<AuditEvent> events = new ArrayList<>();
    private long dropped;

    /** A trail of at most {@link #DEFAULT_CAPACITY} events, bounded by no budget but its own. */
    public AuditTrail() {
        this(Clock.systemUTC(), DEFAULT_CAPACITY, ResponseBudget.unbounded());
    }

    /** A trail whose events are charged to a call's response budget. */
    public AuditTrail(ResponseBudget budget) {
        this(Clock.systemUTC(), DEFAULT_CAPACITY, budget);
    }

    public AuditTrail(Clock clock, int capacity, ResponseBudget budget) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative");
        }
        this.clock = clock;
        this.capacity = capacity;
        this.budget = budget;
    }

    public void allowed(String category, String action, String target) {
        record(category, action, target, AuditEvent.Outcome.ALLOWED, "");
    }

    public void denied(String category, String action, String target, String detail) {
        record(category, action, target, AuditEvent.Outcome.DENIED, detail);
    }

    public void failed(String category, String action, String target, String detail) {
        record(category, action, target, AuditEvent.Outcome.FAILED, detail);
    }

    public void record(String category, String action, String target, AuditEvent.Outcome outcome,
                       String detail) {
        record(category, action, target, outcome, detail, null);
    }

    /** Records an event that took {@code duration}; its fields are cut, and it is kept only within the bounds. */
    public void record(String category, String action, String target, AuditEvent.Outcome outcome,
                       String detail, Duration duration) {
        synchronized (events) {
            if (events.size() >= capacity) {
                dropped++;
                return;
            }
        }
        AuditEvent event = new AuditEvent(clock.instant(), cut(category), cut(action), cut(target), outcome,
                cut(detail), duration);
        long charge = ResponseBudget.charge(event.category(), event.action(), event.target(), event.detail());
        synchronized (events) {
            if (events.size() < capacity && budget.take(charge)) {
                events.add(event);
            } else {
                dropped++;
            }
        }
    }

    private static String cut(String s) {
        return s == null ? "" : ResponseBudget.cut(s, ResponseBudget.MAX_FIELD_CHARS);
    }

    /**
     * A snapshot of the events kept so far, oldest first, and when some were not kept, one last event that
     * says how many and why.
     */
    public List<AuditEvent> events() {
        synchronized (events) {
            if (dropped == 0) {
                return List.copyOf(events);
            }
            List<AuditEvent> all = new ArrayList<>(events);
            all.add(new AuditEvent(clock.instant(), "limit", "events", "", AuditEvent.Outcome.DENIED,
                    dropped + " more events were not kept (at most " + capacity + " per call, within its response"
                            + " budget of " + budget.limit() + " bytes)", null));
            return List.copyOf(all);
        }
    }

    /** How many events were not kept because the trail was full or the budget spent. */
    public long dropped() {
        synchronized (events) {
            return dropped;
        }
    }
}
