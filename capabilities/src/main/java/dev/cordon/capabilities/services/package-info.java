/**
 * The built-in gateway services: SQL over JDBC ({@link dev.cordon.capabilities.services.SqlService}), a
 * key-value store ({@link dev.cordon.capabilities.services.KeyValueService}) and HTTP GET under a prefix
 * ({@link dev.cordon.capabilities.services.HttpService}), each with its own limits; and the short text forms
 * the CLI and the service configuration name them by ({@link dev.cordon.capabilities.services.ServiceSpecs}).
 *
 * <p>May use: {@code dev.cordon.capabilities.gateway}, the JDK, and the SQLite driver when the application
 * has it ({@code SqliteHardening} is the only class that names it).
 */
package dev.cordon.capabilities.services;
