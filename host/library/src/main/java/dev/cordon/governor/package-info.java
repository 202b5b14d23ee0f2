/**
 * The governor: the watchdog that samples every running call, each run's monitor of wall time, CPU, memory
 * and output, the heap guard, and the capped output streams. Time, threads and the heap come in through
 * {@link dev.cordon.governor.Ticker}, {@link dev.cordon.governor.Scheduler}, {@link dev.cordon.governor.ThreadMeter}
 * and {@link dev.cordon.governor.HeapView}, so that limits are tested on a clock the test advances. Not exported.
 *
 * <p>May use: the API's value types and the JDK.
 */
package dev.cordon.governor;
