/**
 * Cordon for LangChain4j: {@link dev.cordon.langchain4j.CordonCodeExecutionEngine}, LangChain4j's
 * {@code CodeExecutionEngine} backed by a {@link dev.cordon.Cordon}, and
 * {@link dev.cordon.langchain4j.PythonTool}, a tool an AI service offers its model. Each call runs with the
 * principal, grants and limits the application chose, and the model reads how it ended, what it printed, its
 * value and its traceback ({@link dev.cordon.json.ResultText}).
 *
 * <p>May use: the library's API and {@code langchain4j-core}. No GraalVM type.
 */
package dev.cordon.langchain4j;
