/** Zoobar end to end: over HTTP on loopback, and through the form in headless Chromium. */
package dev.cordon.tests.zoobar;
