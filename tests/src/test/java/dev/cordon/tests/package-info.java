/**
 * The integration suites that cross modules, against the real GraalPy, real files, real HTTP on loopback and a
 * real browser: the standard library in the sandbox, deny-by-default, {@code /tmp} and path attacks, gateway
 * tokens and services, the CLI, the service, prepared contexts and the operation guard.
 */
package dev.cordon.tests;
