package dev.cordon.governor;

import org.junit.jupiter.api.Test;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The heap guard measures what is live only at collections of the whole heap, with this JVM's real collector
 * (the tests run with the parallel one): after a young collection, the old generation still holds garbage.
 */
class HeapGuardTest {

    private static volatile byte[] garbage;

    @Test
    void youngCollectionsAreTheMinorOnesOfEveryCollector() {
        assertThat(HeapGuard.isYoung("end of minor GC")).isTrue();
        assertThat(HeapGuard.isYoung("end of major GC")).isFalse();
        assertThat(HeapGuard.isYoung("end of GC cycle")).isFalse();
        assertThat(HeapGuard.isYoung("end of concurrent GC pause")).isFalse();
        assertThat(HeapGuard.isYoung(null)).isFalse();
    }

    @Test
    void aYoungCollectionPastTheFractionAsksForAFullOneAndOnlyThatOneMeasuresPressure() {
        long fullBefore = fullCollections();
        long youngBefore = youngCollections();
        // Every heap is past a fraction of zero: the first young collection asks for a full one.
        try (HeapGuard guard = new HeapGuard(0.0)) {
            assertThat(guard.underPressure()).as("nothing measured yet").isFalse();
            for (int i = 0; i < 2_000_000 && guard.fullCollections() == 0; i++) {
                garbage = new byte[4096];   // short-lived: young collections only, nothing promoted
            }
            assertThat(youngCollections()).as("young collections happened").isGreaterThan(youngBefore);
            assertThat(guard.fullCollections()).as("a full collection was seen").isPositive();
            assertThat(fullCollections()).as("a full collection, asked for by the guard").isGreaterThan(fullBefore);
            assertThat(guard.collections()).as("every collection counts for the calls' own measure")
                    .isGreaterThan(guard.fullCollections());
            assertThat(guard.underPressure()).isTrue();
            assertThat(guard.liveAfterFullCollection()).isPositive();
        }
    }

    private static long fullCollections() {
        return count(true);
    }

    private static long youngCollections() {
        return count(false);
    }

    private static long count(boolean full) {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            boolean old = name.contains("MarkSweep") || name.contains("Old");
            if (old == full) {
                n += gc.getCollectionCount();
            }
        }
        return n;
    }
}
