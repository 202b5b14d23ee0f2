package dev.cordon.langchain4j;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;

import java.util.Objects;

/**
 * A tool for LangChain4j's AI services: the model asks for {@code run_python} with code, and reads back how the
 * run ended, what it printed, its value and its traceback, from which it can correct its code.
 *
 * <pre>{@code
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .chatModel(model)
 *         .tools(new PythonTool(CordonCodeExecutionEngine.builder(cordon).grants("fs.tmp").build()))
 *         .build();
 * }</pre>
 */
public final class PythonTool {

    private final CordonCodeExecutionEngine engine;

    public PythonTool(CordonCodeExecutionEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    /** Runs the model's code and returns the report it reads. */
    @Tool(name = "run_python", value = {"Runs Python 3 code in a sandbox with no network, processes or threads.",
            "Returns the status, what the code printed (stdout, stderr), the JSON value it passed to "
                    + "cordon.result(value) after `import cordon`, and the exception with its traceback if one ended it.",
            "A run stopped at a limit says which one; write code that does less."})
    public String runPython(@P(name = "code", value = "Python 3 source code to run") String code) {
        return engine.execute(code);
    }
}
