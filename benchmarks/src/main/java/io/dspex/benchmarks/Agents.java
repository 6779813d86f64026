package io.dspex.benchmarks;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.ToolCall;
import io.dspex.predict.ReAct;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import io.dspex.tool.Tool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import reactor.core.publisher.Mono;

/**
 * The react-tools scenario: one agent task is "find the capital, then its weather, then its population, and answer",
 * three tool steps, each tool taking {@link Scenario#TOOL_LATENCY_MS}. The mock server scripts the model's side
 * ({@link #script}): the same three steps and the same answer for both agents, each in its own protocol.
 *
 * <ul>
 *   <li>{@code dspex-react}: {@link ReAct} with three non-blocking tools (a timer each), DSPy's protocol: each step
 *       is a ChatAdapter reply with {@code next_thought}, {@code next_tool_name} and {@code next_tool_args}; after
 *       the third tool the model calls {@code finish}, then a ChainOfThought extracts the answer. Five LM calls per
 *       task.</li>
 *   <li>{@code langchain4j-agent}: a LangChain4j {@code AiServices} agent over {@code OpenAiChatModel} (HTTP/1.1)
 *       with the same three tools as {@code @Tool} methods that sleep (LangChain4j runs tools on the calling
 *       thread); the model asks for each tool through OpenAI function calling, then answers. Four LM calls per task,
 *       each blocking one thread of a pool the size of the concurrency.</li>
 * </ul>
 */
final class Agents {

    static final String QUESTION = "What is the weather and the population of the capital of France?";
    static final String ANSWER = "Paris: sunny, 2.1 million";
    static final List<String> TOOLS = List.of("search", "weather", "population");
    static final List<String> ARGS = List.of("{\"query\": \"capital of France\"}", "{\"city\": \"Paris\"}",
            "{\"city\": \"Paris\"}");
    static final List<String> RESULTS = List.of("Paris", "sunny", "2.1 million");

    private Agents() {
    }

    /**
     * Teaches a mock server both agents' side of the task; any other request gets the workload's reply.
     *
     * @param server the server
     * @return the server
     */
    static MockLmServer script(MockLmServer server) {
        // LangChain4j: OpenAI function calling; the step is the number of tool results in the conversation.
        for (int k = 0; k < TOOLS.size(); k++) {
            int step = k;
            server.when(r -> !r.tools().isEmpty() && toolResults(r) == step,
                    LmResponse.ofToolCalls("", List.of(new ToolCall("call_" + k, TOOLS.get(k), ARGS.get(k)))));
        }
        server.when(r -> !r.tools().isEmpty(), ANSWER);
        // ReAct: ChatAdapter replies; the step is the number of observations in the trajectory.
        return server.reply(r -> {
            String system = r.messages().isEmpty() ? "" : r.messages().get(0).content();
            if (system.contains("next_tool_name")) {
                int step = count(r.lastUserMessage(), "## observation_");
                boolean done = step >= TOOLS.size();
                return "[[ ## next_thought ## ]]\n" + (done ? "I have everything." : "I need the " + TOOLS.get(step)
                        + ".") + "\n\n[[ ## next_tool_name ## ]]\n" + (done ? "finish" : TOOLS.get(step))
                        + "\n\n[[ ## next_tool_args ## ]]\n" + (done ? "{}" : ARGS.get(step))
                        + "\n\n[[ ## completed ## ]]";
            }
            if (system.contains("`trajectory`")) {
                return "[[ ## reasoning ## ]]\nThe tools said Paris, sunny and 2.1 million.\n\n[[ ## answer ## ]]\n"
                        + ANSWER + "\n\n[[ ## completed ## ]]";
            }
            return r.stream() ? Workload.STREAM_REPLY : Workload.REPLY;
        });
    }

    private static long toolResults(ParsedRequest r) {
        return r.messages().stream().filter(m -> m.role() == Message.Role.TOOL).count();
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    private static void checkAnswer(String answer) {
        if (answer == null || !answer.contains(ANSWER)) {
            throw new IllegalStateException("unexpected agent answer: " + answer);
        }
    }

    /** Arguments of the search tool. */
    record Query(String query) {
    }

    /** Arguments of the weather and population tools. */
    record City(String city) {
    }

    /** {@code ReAct} with three tools that answer after a timer. */
    static final class DspexReact implements Systems.Target {
        private final OpenAiCompatibleLm lm;
        private final ReAct agent;

        DspexReact(String baseUrl, int concurrency) {
            this.lm = Systems.dspexLm(baseUrl, concurrency);
            Duration latency = Duration.ofMillis(Scenario.TOOL_LATENCY_MS);
            List<Tool> tools = List.of(
                    Tool.of("search", "Search the web.", Query.class,
                            q -> Mono.delay(latency).thenReturn(RESULTS.get(0))),
                    Tool.of("weather", "The weather in a city.", City.class,
                            c -> Mono.delay(latency).thenReturn(RESULTS.get(1))),
                    Tool.of("population", "The population of a city.", City.class,
                            c -> Mono.delay(latency).thenReturn(RESULTS.get(2))));
            this.agent = ReAct.of("question -> answer", tools).withLm(lm);
        }

        @Override
        public CompletableFuture<?> call() {
            return agent.forward(Map.of("question", QUESTION)).map(p -> {
                checkAnswer((String) p.get("answer"));
                Map<?, ?> trajectory = (Map<?, ?>) p.get("trajectory");
                if (!"2.1 million".equals(trajectory.get("observation_2"))) {
                    throw new IllegalStateException("the third tool did not run: " + trajectory);
                }
                return p;
            }).toFuture();
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            throw new UnsupportedOperationException("react-tools does not stream");
        }

        @Override
        public void close() {
            lm.close();
        }
    }

    /** The LangChain4j agent's interface. */
    interface Assistant {
        String chat(String question);
    }

    /** LangChain4j tools: blocking, as LangChain4j runs them (on the thread that called the agent). */
    public static final class BlockingTools {
        @dev.langchain4j.agent.tool.Tool("Search the web.")
        public String search(@P("query") String query) {
            return after(RESULTS.get(0));
        }

        @dev.langchain4j.agent.tool.Tool("The weather in a city.")
        public String weather(@P("city") String city) {
            return after(RESULTS.get(1));
        }

        @dev.langchain4j.agent.tool.Tool("The population of a city.")
        public String population(@P("city") String city) {
            return after(RESULTS.get(2));
        }

        private static String after(String result) {
            try {
                Thread.sleep(Scenario.TOOL_LATENCY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            return result;
        }
    }

    /** LangChain4j's {@code AiServices} agent, driven from a thread pool the size of the concurrency. */
    static final class LangChain4jAgent implements Systems.Target {
        private final Assistant assistant;
        private final ExecutorService pool;

        LangChain4jAgent(String baseUrl, int concurrency) {
            OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(Workload.API_KEY)
                    .httpClientBuilder(Systems.LangChain4j.http11()).modelName(Workload.MODEL)
                    .timeout(Duration.ofMinutes(5)).build();
            this.assistant = AiServices.builder(Assistant.class).chatModel(model).tools(new BlockingTools()).build();
            this.pool = Executors.newFixedThreadPool(concurrency);
        }

        @Override
        public CompletableFuture<?> call() {
            return CompletableFuture.supplyAsync(() -> {
                String answer = assistant.chat(QUESTION);
                checkAnswer(answer);
                return answer;
            }, pool);
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            throw new UnsupportedOperationException("react-tools does not stream");
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }
}
