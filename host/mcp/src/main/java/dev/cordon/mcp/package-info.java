/**
 * {@code cordon mcp}: a Model Context Protocol server on stdio, built on the official Java SDK, whose tools run
 * Python in Cordon with the principal, grants and limits of one client of a {@code cordon serve} configuration.
 * {@link dev.cordon.mcp.CordonMcpServer} is the one public class; the check of each line the client sends is
 * package-private.
 *
 * <p>May use: the library's API and JSON form, {@code dev.cordon.serve}'s configuration, the MCP SDK and
 * Jackson. No GraalVM type.
 */
package dev.cordon.mcp;
