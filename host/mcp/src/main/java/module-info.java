/** {@code cordon mcp}: the library as Model Context Protocol tools over stdio. */
module dev.cordon.mcp {
    requires transitive dev.cordon.serve;
    requires io.modelcontextprotocol.sdk.mcp.core;
    requires io.modelcontextprotocol.sdk.mcp.json.jackson2;
    requires com.fasterxml.jackson.databind;

    exports dev.cordon.mcp;
}
