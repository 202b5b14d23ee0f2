package dev.cordon.governor;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Watches the JVM's heap for the pressure that guest calls together put on it. Allocation accounting
 * bounds what each call allocates, not what all of them keep alive at once, and guests share the heap with
 * their host: when the heap that survives a garbage collection passes a fraction of the maximum, the heap
 * is under pressure, and the governor stops the call that allocated the most before an
 * {@code OutOfMemoryError} can strike anywhere in the process.
 *
 * <p>Measured after collections, not instantaneously, so that short-lived garbage never counts as
 * pressure; and pressure only after collections of the whole heap, because after a young one the old
 * generation still holds whatever died there since the last full one (with the parallel collector, the test
 * suite's heap was seen 77% "live" after a young collection, where its full collections find 12 to 40%). A
 * young collection that leaves the heap past the fraction asks for a full one, which then measures. Each full
 * collection is one chance to act: {@link #fullCollections()} lets the governor act once per full collection,
 * giving the memory of a stopped call time to be reclaimed before it stops another.
 */
public final class HeapGuard implements HeapView {

    private final double fraction;
    private final long max = Runtime.getRuntime().maxMemory();
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    private final AtomicLong collections = new AtomicLong();
    private final AtomicLong fullCollections = new AtomicLong();
    private final List<Runnable> unregister = new ArrayList<>();
    private volatile long usedAfterLastCollection;
    private volatile long liveAfterFullCollection;
    private final AtomicLong lastRequest = new AtomicLong();

    /** One requested collection per second at most. */
    static final long MIN_REQUEST_INTERVAL_NANOS = 1_000_000_000L;

    /** @param fraction of the maximum heap that may survive a collection before the heap is under pressure */
    public HeapGuard(double fraction) {
        this.fraction = fraction;
        NotificationListener listener = this::collected;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
                unregister.add(() -> {
                    try {
                        emitter.removeNotificationListener(listener);
                    } catch (Exception e) {
                        // Already gone.
                    }
                });
            }
        }
    }

    private void collected(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(e.getKey())) {
                MemoryUsage u = e.getValue();
                used += u.getUsed();
            }
        }
        usedAfterLastCollection = used;
        collections.incrementAndGet();
        if (!isYoung(info.getGcAction())) {
            liveAfterFullCollection = used;
            fullCollections.incrementAndGet();
        } else if (pastFraction(used)) {
            requestCollection();
        }
    }

    /**
     * Whether a collection left the old generation as it was: "end of minor GC" for the serial, parallel and
     * G1 collectors' young collections. Full collections and single-generation collectors' cycles ("end of
     * major GC", "end of GC cycle", "end of concurrent GC pause") measure the whole heap.
     */
    static boolean isYoung(String gcAction) {
        return gcAction != null && gcAction.contains("minor");
    }

    private boolean pastFraction(long used) {
        return max > 0 && max != Long.MAX_VALUE && used > fraction * max;
    }

    /** Whether the heap that survived the last full collection passes the fraction of the maximum. */
    @Override
    public boolean underPressure() {
        return pastFraction(liveAfterFullCollection);
    }

    /** The heap in use now, garbage included. */
    @Override
    public long usedNow() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Asks for a collection on a background thread, so that what runs keep alive gets measured; at most one
     * at a time and one per {@link #MIN_REQUEST_INTERVAL_NANOS}, because a requested collection is a full one
     * and pauses every run.
     */
    @Override
    public void requestCollection() {
        long now = System.nanoTime();
        long last = lastRequest.get();
        if ((last != 0 && now - last < MIN_REQUEST_INTERVAL_NANOS) || !lastRequest.compareAndSet(last, now)) {
            return;
        }
        Thread.ofPlatform().daemon().name("cordon-heap-check").start(System::gc);
    }

    /** How many collections have been seen: the governor acts at most once per collection. */
    @Override
    public long collections() {
        return collections.get();
    }

    /** The maximum heap the fraction is taken of. */
    @Override
    public long max() {
        return max;
    }

    @Override
    public long usedAfterLastCollection() {
        return usedAfterLastCollection;
    }

    @Override
    public long fullCollections() {
        return fullCollections.get();
    }

    @Override
    public long liveAfterFullCollection() {
        return liveAfterFullCollection;
    }

    @Override
    public void close() {
        unregister.forEach(Runnable::run);
    }
}
