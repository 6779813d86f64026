package io.dspex.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.adapter.AdapterParseException;
import io.dspex.adapter.JsonAdapter;
import io.dspex.internal.Json;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link ReAct} against DSPy 3.3.1's {@code dspy.ReAct}, run end to end on DSPy's {@code DummyLM} (fixture
 * {@code react_dspy331.json}): for each case every request's messages, the trajectory and the outputs must be DSPy's.
 * The cases: {@code question -> answer} with one tool; a signature with instructions, a list input, a float output and
 * three tools whose observations are a list, a dict and {@code None}, with the JSON adapter in the settings; a run that
 * ends at {@code max_iters} without {@code finish}; and DSPy's own saved ReAct program
 * ({@code tests/primitives/resources/saved_program.json}) loaded into {@code ReAct("question -> answer",
 * tools=[search_wikipedia])}. Then the cases DSPy's prompts cannot show: tool failures, timeouts, the context window.
 */
class ReActTest {

    record Sum(int a, int b) {
    }

    record Word(String word) {
    }

    /** Replays replies in order and records every request. */
    static final class Replay implements LanguageModel {
        final List<Object> replies;
        final List<LmRequest> requests = Collections.synchronizedList(new ArrayList<>());

        Replay(List<?> replies) {
            this.replies = new ArrayList<>(replies);
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.defer(() -> {
                int i;
                synchronized (requests) {
                    requests.add(request);
                    i = requests.size() - 1;
                }
                Object r = i < replies.size() ? replies.get(i) : "no more replies";
                if (r instanceof RuntimeException e) {
                    return Mono.error(e);
                }
                if (r instanceof Function<?, ?> f) {
                    @SuppressWarnings("unchecked")
                    Function<LmRequest, Object> fn = (Function<LmRequest, Object>) f;
                    Object o = fn.apply(request);
                    if (o instanceof RuntimeException e) {
                        return Mono.error(e);
                    }
                    r = o;
                }
                return Mono.just(new LmResponse(List.of(new LmResponse.Choice((String) r, "stop")),
                        Usage.of(10, 1), null, null, null));
            });
        }
    }

    static final Tool ADD = Tool.of("add", "Add two integers.", Sum.class, s -> Mono.just(s.a() + s.b()));

    static List<Map<String, Object>> fixture() throws IOException {
        try (InputStream in = ReActTest.class.getResourceAsStream("react_dspy331.json")) {
            return Json.MAPPER.readValue(in, new TypeReference<>() { });
        }
    }

    static Map<String, Object> fixture(String name) throws IOException {
        for (Map<String, Object> c : fixture()) {
            if (c.get("case").equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException(name);
    }

    static List<Map<String, Object>> wire(List<Message> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("role", m.role().toString());
            w.put("content", m.content());
            out.add(w);
        }
        return out;
    }

    /** Runs a case on its recorded replies and compares every request, the trajectory and the outputs with DSPy's. */
    @SuppressWarnings("unchecked")
    static Prediction replay(String name, ReAct agent, Map<String, Object> inputs,
                             Function<Mono<Prediction>, Mono<Prediction>> around) throws IOException {
        Map<String, Object> c = fixture(name);
        List<Map<String, Object>> calls = (List<Map<String, Object>>) c.get("calls");
        List<String> replies = new ArrayList<>();
        for (Map<String, Object> call : calls) {
            replies.add((String) call.get("reply"));
        }
        Replay lm = new Replay(replies);
        Prediction p = around.apply(agent.withLm(lm).forward(inputs)).block(Duration.ofSeconds(30));
        assertThat(lm.requests).hasSize(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            assertThat(wire(lm.requests.get(i).messages())).as("%s: request %d", name, i)
                    .isEqualTo(calls.get(i).get("messages"));
        }
        assertThat(Json.MAPPER.convertValue(p.get("trajectory"), Map.class)).isEqualTo(c.get("trajectory"));
        Map<String, Object> outputs = new LinkedHashMap<>(p.toMap());
        assertThat(outputs.keySet().iterator().next()).isEqualTo("trajectory");
        outputs.remove("trajectory");
        assertThat(Json.MAPPER.convertValue(outputs, Map.class)).isEqualTo(c.get("outputs"));
        assertThat(p.usage()).isEqualTo(Usage.of(10L * calls.size(), calls.size()));
        return p;
    }

    @Test
    void oneToolThenFinish() throws IOException {
        Prediction p = replay("basic", ReAct.of("question -> answer", List.of(ADD)),
                Map.of("question", "What is 1+2?"), m -> m);
        List<Object> keys = new ArrayList<>(((Map<?, ?>) p.get("trajectory")).keySet());
        assertThat(keys).containsExactly("thought_0", "tool_name_0",
                "tool_args_0", "observation_0", "thought_1", "tool_name_1", "tool_args_1", "observation_1");
    }

    @Test
    void listsDictsAndNoneAsObservationsWithTheJsonAdapter() throws IOException {
        Signature rich = Signature.builder()
                .instructions("Answer the question from the facts and the tools.")
                .input("question", "str")
                .field(Field.input("context", "list[str]", "facts"))
                .output("answer", "str")
                .output("confidence", "float")
                .build();
        Map<String, Map<String, Object>> searchArgs = new LinkedHashMap<>();
        searchArgs.put("query", Map.of("type", "string"));
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("type", "integer");
        k.put("default", 3);
        searchArgs.put("k", k);
        Tool search = Tool.of("search", "Search the web.\n    Returns up to k snippets.", searchArgs, a -> {
            List<String> out = new ArrayList<>();
            int n = a.containsKey("k") ? (Integer) a.get("k") : 3;
            for (int i = 1; i <= n; i++) {
                out.add(a.get("query") + " snippet " + i);
            }
            return Mono.just(out);
        });
        Tool lookup = Tool.of("lookup", "Look a word up in the dictionary.", Word.class, w -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("word", w.word());
            m.put("definition", "a «thing» — très");
            m.put("count", 2);
            return Mono.just(m);
        });
        Tool nothing = Tool.of("nothing", null, Map.of(), a -> Mono.empty());
        replay("rich-json", ReAct.of(rich, List.of(search, lookup, nothing)),
                Map.of("question", "What is a café?", "context", List.of("Cafés serve coffee.", "Line one\nline two")),
                m -> m.contextWrite(Settings.empty().withAdapter(new JsonAdapter()).asContext()));
    }

    @Test
    void anLmThatNeverFinishesStopsAtMaxItersAndTheOutputsAreExtracted() throws IOException {
        replay("max-iters", ReAct.of("question -> answer", List.of(ADD)).withMaxIters(2),
                Map.of("question", "Keep adding"), m -> m);
        ReAct agent = ReAct.of("question -> answer", List.of(ADD));
        assertThat(agent.maxIters()).isEqualTo(20);
        Replay lm = new Replay(List.of(
                step("add", "{\"a\": 1, \"b\": 1}"),
                "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\n2"));
        Prediction p = agent.withLm(lm).forward(Map.of("question", "q", "max_iters", 1)).block();
        assertThat(lm.requests).hasSize(2);
        assertThat((Map<?, ?>) p.get("trajectory")).hasSize(4);
    }

    @Test
    void dspysSavedReActProgramLoadsAndSendsDspysPrompts(@TempDir Path dir) throws IOException {
        Tool searchWikipedia = Tool.of("search_wikipedia", null, Map.of("query", Map.of("type", "string")),
                a -> Mono.just(List.of("a", "b")));
        Path saved = dir.resolve("saved_program.json");
        try (InputStream in = ReActTest.class.getResourceAsStream("saved_program.json")) {
            Files.copy(in, saved);
        }
        ReAct loaded = ReAct.of("question -> answer", List.of(searchWikipedia)).load(saved);
        assertThat(loaded.namedPredictors()).containsOnlyKeys("react", "extract.predict");
        assertThat(loaded.react().demos()).hasSize(2);
        replay("saved-program", loaded, Map.of("question", "Which studio made Bambi?"), m -> m);
    }

    static String step(String tool, String args) {
        return "[[ ## next_thought ## ]]\nthinking\n\n[[ ## next_tool_name ## ]]\n" + tool
                + "\n\n[[ ## next_tool_args ## ]]\n" + args;
    }

    static final String EXTRACT = "[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\ndone";

    @Test
    void toolFailuresBecomeObservationsAndTheLoopGoesOn() {
        Tool fails = Tool.of("fails", "Always fails.", Map.of(),
                a -> Mono.error(new IllegalStateException("disk full")));
        Tool throwsNow = Tool.of("throws", null, Map.of(), a -> {
            throw new UnsupportedOperationException("not today");
        });
        Tool hangs = Tool.of("hangs", null, Map.of(), a -> Mono.never()).withTimeout(Duration.ofMillis(50));
        Tool returnsNull = Tool.of("nul", null, Map.of(), a -> null);
        Replay lm = new Replay(List.of(step("fails", "{}"), step("throws", "{}"),
                step("add", "{\"a\": \"x\", \"b\": 1}"),
                step("add", "{\"a\": 1}"), step("add", "{\"c\": 1}"), step("hangs", "{}"), step("nul", "{}"),
                step("finish", "{\"answer\": 3}"), EXTRACT));
        ReAct agent = ReAct.of("question -> answer", List.of(ADD, fails, throwsNow, hangs, returnsNull)).withLm(lm);
        Prediction p = agent.forward(Map.of("question", "q")).block(Duration.ofSeconds(30));
        Map<?, ?> t = (Map<?, ?>) p.get("trajectory");
        assertThat(t.get("observation_0")).isEqualTo("Execution error in fails: disk full");
        assertThat(t.get("observation_1")).isEqualTo("Execution error in throws: not today");
        assertThat(t.get("observation_2")).isEqualTo("Execution error in add: Arg a is invalid: string found, "
                + "integer expected");
        assertThat(t.get("observation_3")).isEqualTo("Execution error in add: Arg b is required but was not given.");
        assertThat(t.get("observation_4")).isEqualTo("Execution error in add: Arg c is not in the tool's args.");
        assertThat(t.get("observation_5")).isEqualTo("Execution error in hangs: tool hangs did not finish within 50 ms "
                + "and was cancelled");
        assertThat((String) t.get("observation_6")).startsWith("Execution error in nul: tool nul returned null");
        assertThat(t.get("observation_7"))
                .isEqualTo("Execution error in finish: Arg answer is not in the tool's args.");
        assertThat(t).hasSize(32);
        assertThat(p.get("answer")).isEqualTo("done");
        assertThat(lm.requests.get(1).messages().get(1).content())
                .contains("[[ ## observation_0 ## ]]\nExecution error in fails: disk full");
    }

    @Test
    void anUnknownToolNameFailsTheCallWithTheAdaptersParseError() {
        Replay lm = new Replay(List.of(step("bogus", "{}"), "{\"next_thought\": \"t\", \"next_tool_name\": \"bogus\", "
                + "\"next_tool_args\": {}}"));
        StepVerifier.create(ReAct.of("question -> answer", List.of(ADD)).withLm(lm).forward(Map.of("question", "q")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(AdapterParseException.class)
                        .hasMessageContaining("bogus"))
                .verify();
        assertThat(lm.requests).as("the ChatAdapter, then its JSON fallback").hasSize(2);
    }

    @Test
    void aContextWindowErrorDropsTheOldestStepAndRetries() {
        LmException.ContextWindowExceeded tooLong = new LmException.ContextWindowExceeded("context_length_exceeded");
        Function<LmRequest, Object> secondStepTooLong = r -> tooLong;
        Replay lm = new Replay(List.of(step("add", "{\"a\": 1, \"b\": 1}"), step("add", "{\"a\": 2, \"b\": 2}"),
                secondStepTooLong, step("finish", "{}"), EXTRACT));
        Prediction p = ReAct.of("question -> answer", List.of(ADD)).withLm(lm).forward(Map.of("question", "q")).block();
        Map<?, ?> t = (Map<?, ?>) p.get("trajectory");
        assertThat(new ArrayList<Object>(t.keySet())).containsExactly("thought_1", "tool_name_1", "tool_args_1",
                "observation_1",
                "thought_2", "tool_name_2", "tool_args_2", "observation_2");
        String retried = lm.requests.get(3).messages().get(1).content();
        assertThat(retried).doesNotContain("thought_0").contains("[[ ## thought_1 ## ]]");
        assertThat(lm.requests.get(2).messages().get(1).content()).contains("[[ ## thought_0 ## ]]");
    }

    @Test
    void aTrajectoryThatCannotBeShortenedEndsTheLoopAndIsExtracted() {
        LmException.ContextWindowExceeded tooLong = new LmException.ContextWindowExceeded("context_length_exceeded");
        Replay lm = new Replay(List.of(step("add", "{\"a\": 1, \"b\": 1}"), tooLong, EXTRACT));
        Prediction p = ReAct.of("question -> answer", List.of(ADD)).withLm(lm).forward(Map.of("question", "q")).block();
        assertThat((Map<?, ?>) p.get("trajectory")).hasSize(4);
        assertThat(p.get("answer")).isEqualTo("done");
        Replay always = new Replay(List.of(tooLong, tooLong, tooLong, tooLong));
        StepVerifier.create(ReAct.of("question -> answer", List.of(ADD)).withLm(always)
                        .forward(Map.of("question", "q")))
                .expectError(LmException.ContextWindowExceeded.class).verify();
        assertThatThrownBy(() -> ReAct.truncate(new LinkedHashMap<>(Map.of("a", 1))))
                .isInstanceOf(LmException.ContextWindowExceeded.class).hasMessageContaining("only has one tool call");
    }

    @Test
    void cancellingTheForwardCancelsTheToolInFlight() {
        AtomicBoolean started = new AtomicBoolean();
        AtomicBoolean cancelled = new AtomicBoolean();
        Tool hangs = Tool.of("hangs", null, Map.of(), a -> Mono.never()
                .doOnSubscribe(s -> started.set(true)).doOnCancel(() -> cancelled.set(true)));
        Replay lm = new Replay(List.of(step("hangs", "{}")));
        Disposable d = ReAct.of("question -> answer", List.of(hangs)).withLm(lm).forward(Map.of("question", "q"))
                .subscribe();
        assertThat(started).isTrue();
        d.dispose();
        assertThat(cancelled).isTrue();
    }

    @Test
    void badToolSetsAreRejected() {
        Tool finish = Tool.of("finish", null, Map.of(), a -> Mono.empty());
        assertThatThrownBy(() -> ReAct.of("question -> answer", List.of(finish)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'finish'");
        assertThatThrownBy(() -> ReAct.of("question -> answer", List.of(ADD, ADD)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two tools are named 'add'");
        assertThatThrownBy(() -> ReAct.of("question, trajectory -> answer", List.of(ADD)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'trajectory'");
        assertThatThrownBy(() -> ReAct.of("question -> answer", List.of(ADD)).withMaxIters(0))
                .isInstanceOf(IllegalArgumentException.class);
        ReAct agent = ReAct.of("question -> answer", List.of());
        assertThat(agent.tools()).containsOnlyKeys("finish");
        assertThat(agent.react().signature().outputFields().get(1).type().dspyName()).isEqualTo("Literal['finish']");
        assertThat(agent.copy()).isInstanceOf(ReAct.class);
        assertThat(agent.reset().namedPredictors()).containsOnlyKeys("react", "extract.predict");
    }

    @Test
    void theProgramLayerRetryAppliesToEachStep() {
        LmException.RateLimit slow = new LmException.RateLimit("slow down", Duration.ofMillis(1));
        Replay lm = new Replay(List.of(slow, step("finish", "{}"), EXTRACT));
        StepVerifier.create(ReAct.of("question -> answer", List.of(ADD)).withLm(lm)
                        .withRetry(RetryPolicy.defaults().withMaxAttempts(3)
                                .withBackoff(Duration.ofMillis(1), Duration.ofMillis(2)))
                        .forward(Example.of(Map.of("question", "q"))))
                .assertNext(p -> assertThat(p.get("answer")).isEqualTo("done"))
                .verifyComplete();
        assertThat(lm.requests).hasSize(3);
    }
}
