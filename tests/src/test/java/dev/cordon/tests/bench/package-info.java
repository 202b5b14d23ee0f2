/** JMH benchmarks, run with {@code ./cordon jmh}. Not tests: they assert nothing. */
package dev.cordon.tests.bench;
