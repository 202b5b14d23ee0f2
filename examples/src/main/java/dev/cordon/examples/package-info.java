/** Applications built on Cordon. The scripts in {@code examples/scripts} run with {@code ./cordon run}. */
package dev.cordon.examples;
