/** Test support shared by the library's tests and the integration suites: one Cordon for the whole JVM. */
package dev.cordon.testing;
