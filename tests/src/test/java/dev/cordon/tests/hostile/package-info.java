/** The catalogue of hostile programs and the suite that runs each one, alone and beside a well-behaved tenant. */
package dev.cordon.tests.hostile;
