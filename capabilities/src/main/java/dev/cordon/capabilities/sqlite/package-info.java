/**
 * The guest's own SQLite databases ({@code import sqlite3}): in memory in the engine's JVM, their files read
 * and written through the guest's virtual filesystem, bounded by the call. {@link
 * dev.cordon.capabilities.sqlite.GuestDatabases} is the whole interface; the rest is machinery.
 */
package dev.cordon.capabilities.sqlite;
