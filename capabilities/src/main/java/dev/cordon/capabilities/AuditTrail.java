package dev.cordon.capabilities;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit events of one call. Thread-safe. Bounded, because a hostile guest can provoke denials in a
 * loop: past {@code capacity} events only a count is kept, and {@link #dropped()} says how many.
 */
public final class AuditTrail {

    /** The default number of events kept per call. */
    public static final int DEFAULT_CAPACITY = 1_000;

    private final Clock clock;
    private final int capacity;
    private final List<AuditEvent> events = new ArrayList<>();
    private long dropped;

    public AuditTrail() {
        this(Clock.systemUTC(), DEFAULT_CAPACITY);
    }

    public AuditTrail(Clock clock, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative");
        }
        this.clock = clock;
        this.capacity = capacity;
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

    /** Records an event that took {@code duration}. */
    public void record(String category, String action, String target, AuditEvent.Outcome outcome,
                       String detail, Duration duration) {
        AuditEvent event = new AuditEvent(clock.instant(), category, action, target, outcome, detail, duration);
        synchronized (events) {
            if (events.size() < capacity) {
                events.add(event);
            } else {
                dropped++;
            }
        }
    }

    /** A snapshot of the events kept so far, oldest first. */
    public List<AuditEvent> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** How many events were not kept because the trail was full. */
    public long dropped() {
        synchronized (events) {
            return dropped;
        }
    }
}
