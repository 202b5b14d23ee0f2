package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Limits;
import dev.cordon.langchain4j.CordonCodeExecutionEngine;
import dev.cordon.langchain4j.PythonTool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cordon under LangChain4j: the {@code CodeExecutionEngine} on its own, and {@link PythonTool} through
 * LangChain4j's own AI-service tool loop, driven by a scripted model (no network) that asks for code as a real
 * model does and answers with what the tool returned.
 */
class LangChain4jTest {

    @TempDir
    static Path data;
    static Cordon cordon;

    @BeforeAll
    static void start() {
        cordon = Cordon.builder().dataDir(data).service("notes", dev.cordon.capabilities.services.KeyValueService.builder().build())
                .build();
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    interface Assistant {
        String chat(String message);
    }

    /** Asks for {@code run_python} with its code first; then answers with the tool's result, as it read it. */
    static final class ScriptedModel implements ChatModel {
        final String code;
        final List<ChatRequest> requests = new ArrayList<>();

        ScriptedModel(String code) {
            this.code = code;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(request);
            ChatMessage last = request.messages().get(request.messages().size() - 1);
            if (last instanceof ToolExecutionResultMessage result) {
                return ChatResponse.builder().aiMessage(AiMessage.from("the tool said:\n" + result.text())).build();
            }
            String arguments = dev.cordon.capabilities.Json.MAPPER.createObjectNode().put("code", code).toString();
            return ChatResponse.builder().aiMessage(AiMessage.from(ToolExecutionRequest.builder().id("call-1")
                    .name("run_python").arguments(arguments).build())).build();
        }
    }

    private static String ask(String code, CordonCodeExecutionEngine engine, ScriptedModel model) {
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(new PythonTool(engine)).build();
        return assistant.chat("compute it in Python");
    }

    @Test
    void theEngineReturnsWhatTheCodePrintedItsValueAndItsTraceback() {
        CordonCodeExecutionEngine engine = CordonCodeExecutionEngine.builder(cordon).build();
        assertThat(engine.execute("import cordon\nprint('hello')\ncordon.result([1, 2])"))
                .startsWith("status: OK").contains("stdout:\nhello\n").contains("value (passed to cordon.result): [1,2]");
        assertThat(engine.execute("def f():\n    return {}['missing']\nf()"))
                .startsWith("status: ERROR").contains("error: KeyError: 'missing'").contains("line 2, in f");
        assertThat(engine.execute("import socket\nsocket.create_connection(('127.0.0.1', 80))"))
                .contains("PermissionError");
    }

    @Test
    void throughAnAiServiceTheModelCallsRunPythonAndReadsItsOutput() {
        ScriptedModel model = new ScriptedModel("print(sum(i * i for i in range(10)))");
        String answer = ask(model.code, CordonCodeExecutionEngine.builder(cordon).build(), model);
        assertThat(answer).startsWith("the tool said:\nstatus: OK").contains("stdout:\n285\n");
        assertThat(model.requests).hasSize(2);
        ToolSpecification offered = model.requests.get(0).toolSpecifications().get(0);
        assertThat(offered.name()).isEqualTo("run_python");
        assertThat(offered.description()).contains("cordon.result");
        assertThat(offered.parameters().properties()).containsOnlyKeys("code");
    }

    @Test
    void aHostileProgramComesBackToTheModelAsAStatusNotAsAnExceptionInTheApplication() {
        CordonCodeExecutionEngine engine = CordonCodeExecutionEngine.builder(cordon)
                .limits(Limits.builder().wallTime(Duration.ofSeconds(2)).memoryBytes(64L << 20).build()).build();
        long start = System.nanoTime();
        String loop = ask("while True:\n    pass", engine, new ScriptedModel("while True:\n    pass"));
        assertThat(loop).contains("status: TIMEOUT").contains("wall-time limit");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        // Time enough to reach the memory limit in a worker that has only just started.
        CordonCodeExecutionEngine small = CordonCodeExecutionEngine.builder(cordon)
                .limits(Limits.builder().wallTime(Duration.ofSeconds(30)).memoryBytes(64L << 20).build()).build();
        String memory = ask("x = ['y' * 1000000 for _ in range(1000)]", small,
                new ScriptedModel("x = ['y' * 1000000 for _ in range(1000)]"));
        assertThat(memory).contains("status: MEMORY_LIMIT");
        assertThat(engine.execute("print('after')")).contains("stdout:\nafter");
    }

    @Test
    void theGrantsAndPrincipalAreTheApplicationsChoice() {
        CordonCodeExecutionEngine alice = CordonCodeExecutionEngine.builder(cordon).principal("alice").grants("fs.tmp").build();
        assertThat(alice.execute("open('/tmp/note.txt', 'w').write('kept')")).startsWith("status: OK");
        assertThat(alice.execute("print(open('/tmp/note.txt').read())")).contains("stdout:\nkept");
        CordonCodeExecutionEngine bob = CordonCodeExecutionEngine.builder(cordon).principal("bob").grants("fs.tmp").build();
        assertThat(bob.execute("print(open('/tmp/note.txt').read())")).contains("FileNotFoundError");
        assertThat(CordonCodeExecutionEngine.builder(cordon).build().execute("open('/tmp/x', 'w')"))
                .startsWith("status: ERROR");
        assertThatThrownBy(() -> CordonCodeExecutionEngine.builder(cordon).grants("gateway:nothing").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no service nothing");
        assertThat(CordonCodeExecutionEngine.builder(cordon).grants("gateway:notes").build()
                .execute("from cordon import gateway\nn = gateway.connect('notes')\nprint(type(n).__name__)"))
                .startsWith("status: OK");
    }
}
