/** Cordon for LangChain4j: a code execution engine and an agent tool. */
@SuppressWarnings("requires-automatic")   // langchain4j-core names no module of its own
module dev.cordon.langchain4j {
    requires transitive dev.cordon;
    requires transitive langchain4j.core;

    exports dev.cordon.langchain4j;
}
