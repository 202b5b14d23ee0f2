package dev.cordon.governor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * What the JVM can measure of one thread: its CPU time and the bytes it allocated. The governor's only view of
 * guest threads, so that tests can say what a thread used.
 */
public interface ThreadMeter {

    /** The thread's CPU time in nanoseconds, or -1 where the JVM cannot tell. */
    long cpuNanos(Thread thread);

    /** The bytes the thread has allocated, garbage included, or -1 where the JVM cannot tell. */
    long allocatedBytes(Thread thread);

    /** The JVM's thread bean. */
    static ThreadMeter system() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean sun = threads instanceof com.sun.management.ThreadMXBean s ? s : null;
        boolean cpu = threads.isThreadCpuTimeSupported();
        return new ThreadMeter() {
            @Override
            public long cpuNanos(Thread thread) {
                return cpu ? threads.getThreadCpuTime(thread.threadId()) : -1;
            }

            @Override
            public long allocatedBytes(Thread thread) {
                return sun != null ? sun.getThreadAllocatedBytes(thread.threadId()) : -1;
            }
        };
    }
}
