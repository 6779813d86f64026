package io.dspex.types;

import static io.dspex.types.Dspy331Fixtures.messages;
import static io.dspex.types.Dspy331Fixtures.ordered;
import static io.dspex.types.Dspy331Fixtures.wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.ChatAdapter;
import io.dspex.adapter.JsonAdapter;
import io.dspex.internal.Json;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.predict.Predict;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import io.dspex.tool.ToolCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * {@link History} in prompts, compared with what DSPy 3.3.1's {@code ChatAdapter().format} and
 * {@code JSONAdapter().format} produce for the same Python program ({@code dspy331/gen_types.py}, fixture
 * {@code types_dspy331.json}): every past turn as a user/assistant pair after the demos, images inside turns as
 * content parts, a history inside a demo as JSON, tool calls in turns with and without native function calling; and a
 * saved program's demos as DSPy's {@code dump_state} writes them. The Python side of the first case:
 *
 * <pre>
 * class QA(dspy.Signature):
 *     """Answer questions with short factoid answers."""
 *     question: str = dspy.InputField()
 *     history: dspy.History = dspy.InputField()
 *     answer: str = dspy.OutputField()
 *
 * qa_history = dspy.History(messages=[
 *     {"question": "What is the capital of France?", "answer": "Paris"},
 *     {"question": "Und von Österreich? «kurz»", "answer": "Wien", "note": "ignored: not a field"}])
 * qa_demos = [dict(question="Capital of Italy?", history=dspy.History(messages=[{"question": "Hi", "answer": "Hello"}]),
 *                  answer="Rome"),
 *             dict(question="Capital of Spain?", answer="Madrid")]
 * adapter.format(QA, qa_demos, dict(question="And of Germany?", history=qa_history))
 * </pre>
 */
class HistoryConformanceTest {

    @TempDir
    Path dir;

    static final Adapter CHAT = new ChatAdapter();
    static final Adapter JSON = new JsonAdapter();

    static Signature qa() {
        return Signature.parse("question, history: History -> answer", "Answer questions with short factoid answers.");
    }

    static History qaHistory() {
        return History.of(List.of(
                ordered("question", "What is the capital of France?", "answer", "Paris"),
                ordered("question", "Und von Österreich? «kurz»", "answer", "Wien", "note", "ignored: not a field")));
    }

    static List<Example> qaDemos() {
        return List.of(
                Example.of(ordered("question", "Capital of Italy?",
                        "history", History.of(List.of(ordered("question", "Hi", "answer", "Hello"))),
                        "answer", "Rome")),
                Example.of(ordered("question", "Capital of Spain?", "answer", "Madrid")));
    }

    static Map<String, Object> qaInputs() {
        return ordered("question", "And of Germany?", "history", qaHistory());
    }

    static Signature look() {
        return Signature.parse("image: Image, question, history: History -> answer", "Answer about the image.");
    }

    Map<String, Object> lookInputs() throws IOException {
        return ordered("image", Image.fromUrl("https://example.com/now.png"), "question", "And now?",
                "history", History.of(List.of(
                        ordered("image", Image.fromUrl("https://example.com/before.png"), "question", "What is it?",
                                "answer", "A cat."),
                        ordered("image", Image.fromPath(Dspy331Fixtures.pic(dir)), "question", "And this?",
                                "answer", "A tiny PNG."))));
    }

    @Test
    void pastTurnsComeAsUserAndAssistantMessagesAfterTheDemos() {
        assertThat(wire(CHAT.format(qa(), qaDemos(), qaInputs()))).isEqualTo(messages("qa/chat"));
        assertThat(wire(JSON.format(qa(), qaDemos(), qaInputs()))).isEqualTo(messages("qa/json"));
    }

    @Test
    void anEmptyOrAbsentHistorySendsNoPastTurns() {
        Map<String, Object> empty = ordered("question", "Hi?", "history", History.empty());
        Map<String, Object> absent = ordered("question", "Hi?");
        assertThat(wire(CHAT.format(qa(), List.of(), empty))).isEqualTo(messages("qa_empty/chat"));
        assertThat(wire(JSON.format(qa(), List.of(), empty))).isEqualTo(messages("qa_empty/json"));
        assertThat(wire(CHAT.format(qa(), List.of(), absent))).isEqualTo(messages("qa_absent/chat"));
        assertThat(wire(JSON.format(qa(), List.of(), absent))).isEqualTo(messages("qa_absent/json"));
    }

    @Test
    void turnsRenderEveryFieldAsItsTypeRendersAndANullOutputAsNone() {
        Signature multi = Signature.parse("context: list[str], history: History, question -> reasoning, answer: int",
                "Answer from the context.").withUpdatedField("context", f -> f.withDescription("facts"));
        Map<String, Object> plums = ordered("context", List.of(), "question", "Plums?", "reasoning", null,
                "answer", 0);
        Map<String, Object> inputs = ordered("context", List.of("Ann has 3 apples.", "Bob has 2."),
                "question", "How many in all?", "history", History.of(List.of(
                        ordered("context", List.of("Ann has 1 pear."), "question", "Pears?",
                                "reasoning", "Ann has one.", "answer", 1), plums)));
        assertThat(wire(CHAT.format(multi, List.of(), inputs))).isEqualTo(messages("multi/chat"));
        assertThat(wire(JSON.format(multi, List.of(), inputs))).isEqualTo(messages("multi/json"));
    }

    @Test
    void imagesInsidePastTurnsBecomeContentParts() throws IOException {
        assertThat(wire(CHAT.format(look(), List.of(), lookInputs()))).isEqualTo(messages("look/chat"));
        assertThat(wire(JSON.format(look(), List.of(), lookInputs()))).isEqualTo(messages("look/json"));
    }

    static Signature calls() {
        return Signature.parse("question, tools: list[Tool], history: History -> answer, calls: ToolCalls",
                "Answer with tools.");
    }

    static Map<String, Object> callsInputs() {
        Tool search = Tool.of("search", "Search the web.", Map.of("query", Map.of("type", "string")),
                args -> Mono.just("x"));
        Map<String, Object> basel = ordered("question", "And Basel?", "answer", null, "calls",
                ToolCalls.fromDictList(List.of(Map.of("name", "search", "args", Map.of("query", "Basel")))));
        return ordered("question", "And Bern?", "tools", List.of(search), "history", History.of(List.of(
                ordered("question", "Weather in Zürich?", "answer", "Let me look.", "calls",
                        ToolCalls.fromDictList(List.of(Map.of("name", "search",
                                "args", Map.of("query", "Zürich weather"))))),
                basel,
                ordered("question", "Thanks!", "answer", "You're welcome.", "calls", ToolCalls.of(List.of())))));
    }

    @Test
    void toolCallsInPastTurnsRenderAsDspyRendersThemWithAndWithoutNativeFunctionCalling() {
        assertThat(wire(CHAT.format(calls(), List.of(), callsInputs()))).isEqualTo(messages("calls/chat"));
        assertThat(wire(new JsonAdapter().withNativeFunctionCalling(false).format(calls(), List.of(), callsInputs())))
                .isEqualTo(messages("calls/json"));
        // DSPy sends tool calls back only with their results: a turn's calls go, and so does an assistant message
        // with nothing else to say ("And Basel?" is followed by the next user message)
        LmRequest chat = new ChatAdapter().withNativeFunctionCalling().formatRequest(calls(), List.of(),
                callsInputs(), null);
        assertThat(wire(chat.messages())).isEqualTo(messages("calls_native/chat"));
        assertThat(chat.tools()).hasSize(1);
        LmRequest json = new JsonAdapter().formatRequest(calls(), List.of(), callsInputs(), null);
        assertThat(wire(json.messages())).isEqualTo(messages("calls_native/json"));
    }

    @Test
    void theStringSyntaxNamesHistoryWithoutRegistration() {
        FieldType t = qa().inputFields().get(1).type();
        assertThat(t.javaClass()).isEqualTo(History.class);
        assertThat(t.dspyName()).isEqualTo("History");
        assertThat(Signature.parse("question, history: dspy.History -> answer").inputFields().get(1).type()
                .javaClass()).isEqualTo(History.class);
        assertThatThrownBy(() -> Signature.parse("h: History[int] -> answer"))
                .hasMessageContaining("takes no type arguments");
    }

    @Test
    void aTurnMissingAnOutputOrEveryInputIsATypedErrorNamingTheTurnAndTheField() {
        Map<String, Object> noAnswer = ordered("question", "And of Germany?", "history", History.of(List.of(
                ordered("question", "Capital of France?", "answer", "Paris"),
                ordered("question", "Capital of Spain?"))));
        assertThatThrownBy(() -> CHAT.format(qa(), List.of(), noAnswer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("history input 'history', turn 1: missing output field 'answer' (every turn holds the "
                        + "outputs [answer]; it holds [question])");
        Map<String, Object> noInput = ordered("question", "And of Germany?", "history", History.of(List.of(
                ordered("answer", "Paris", "questoin", "typo"))));
        assertThatThrownBy(() -> JSON.format(qa(), List.of(), noInput))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("history input 'history', turn 0: holds none of the input fields [question] (it holds "
                        + "[answer, questoin])");
        assertThatThrownBy(() -> CHAT.format(qa(), List.of(), ordered("question", "q", "history", "not a history")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("history input 'history' is not a History");
        assertThatThrownBy(() -> CHAT.format(qa(), List.of(), ordered("question", "q", "history", null)))
                .hasMessageContaining("history input 'history' is null");
    }

    @Test
    void aHistoryChecksItsTurnsAndIsImmutable() {
        assertThatThrownBy(() -> History.of(Arrays.asList(Map.of("a", 1), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("History turn 1 is null");
        assertThatThrownBy(() -> History.of(null)).isInstanceOf(IllegalArgumentException.class);
        Map<String, Object> nullKey = new HashMap<>();
        nullKey.put(null, 1);
        assertThatThrownBy(() -> History.of(List.of(nullKey))).hasMessage("History turn 0 has a null key");
        List<Map<String, Object>> turns = new ArrayList<>(List.of(ordered(" question ", "x", "answer", " y ")));
        History h = History.of(turns);
        turns.clear();
        assertThat(h.messages()).containsExactly(ordered("question", "x", "answer", " y "));
        assertThatThrownBy(() -> h.messages().get(0).put("k", 1)).isInstanceOf(UnsupportedOperationException.class);
        History longer = h.withMessage(Map.of("question", "z", "answer", "w"));
        assertThat(longer.messages()).hasSize(2);
        assertThat(h.messages()).hasSize(1);
        assertThat(History.empty().messages()).isEmpty();
    }

    @Test
    void aHistoryFromJsonConvertsThroughItsFieldType() {
        Object converted = FieldType.of(History.class).convert(Map.of("messages",
                List.of(ordered("question", "q", "answer", "a"))));
        assertThat(converted).isEqualTo(History.of(List.of(ordered("question", "q", "answer", "a"))));
        // a History given as that map also formats as the past turns
        assertThat(wire(CHAT.format(qa(), qaDemos(), ordered("question", "And of Germany?", "history",
                Map.of("messages", qaHistory().messages()))))).isEqualTo(messages("qa/chat"));
    }

    @Test
    void savedDemosHoldHistoriesAndImagesAsDspyWritesThemAndLoadBackToTheSamePrompt() throws IOException {
        Example demo = Example.of(ordered("image", Image.fromUrl("https://example.com/d.png"), "question", "What?",
                "history", History.of(List.of(ordered("image", Image.fromPath(Dspy331Fixtures.pic(dir)),
                        "question", "Q0", "answer", "A0"))),
                "answer", "A dog."));
        Predict predict = Predict.of(look()).withDemos(List.of(demo));
        Path file = dir.resolve("look.json");
        predict.save(file);
        Map<String, Object> saved = Json.MAPPER.readValue(Files.readString(file), new TypeReference<>() { });
        assertThat(saved.get("demos")).isEqualTo(Dspy331Fixtures.all().get("saved_demos"));

        Predict loaded = Predict.of(look()).load(file);
        Map<String, Object> inputs = lookInputs();
        assertThat(wire(CHAT.format(loaded.signature(), loaded.demos(), inputs)))
                .isEqualTo(wire(CHAT.format(predict.signature(), predict.demos(), inputs)));
        assertThat(wire(JSON.format(loaded.signature(), loaded.demos(), inputs)))
                .isEqualTo(wire(JSON.format(predict.signature(), predict.demos(), inputs)));
    }

    @Test
    void savedDemosHoldToolsAndToolCallsAsDspyWritesThem() throws IOException {
        record AddArgs(int a, int b) {
        }
        Tool add = Tool.of("add", null, AddArgs.class, x -> Mono.just(x.a() + x.b()));
        Predict predict = Predict.of("question, tools: list[Tool] -> answer, calls: ToolCalls").withDemos(List.of(
                Example.of(ordered("question", "q", "tools", List.of(add), "answer", "4", "calls",
                        ToolCalls.fromDictList(List.of(Map.of("name", "add", "args", ordered("a", 2, "b", 2))))))));
        Path file = dir.resolve("tools.json");
        predict.save(file);
        Map<String, Object> saved = Json.MAPPER.readValue(Files.readString(file), new TypeReference<>() { });
        assertThat(saved.get("demos")).isEqualTo(Dspy331Fixtures.all().get("saved_tool_demos"));
    }

    @Test
    void predictTakesAHistoryOrNoneAndSendsThePastTurns() {
        List<LmRequest> sent = new CopyOnWriteArrayList<>();
        LanguageModel lm = request -> {
            sent.add(request);
            return Mono.just(LmResponse.of("[[ ## answer ## ]]\nBerlin\n\n[[ ## completed ## ]]"));
        };
        Predict qa = Predict.of(qa()).withLm(lm);
        Prediction first = qa.forward(Example.of(Map.of("question", "Capital of France?")))
                .block(Duration.ofSeconds(10));
        assertThat(first.get("answer")).isEqualTo("Berlin");
        assertThat(sent.get(0).messages()).hasSize(2);

        Prediction second = qa.forward(Example.of(qaInputs())).block(Duration.ofSeconds(10));
        assertThat(second.get("answer")).isEqualTo("Berlin");
        List<Message> messages = sent.get(1).messages();
        assertThat(wire(messages)).isEqualTo(wire(CHAT.format(qa(), List.of(), qaInputs())));
        assertThat(messages).hasSize(6);

        assertThatThrownBy(() -> qa.forward(Example.of(ordered("question", "q", "history", History.of(List.of(
                Map.of("question", "q0")))))).block(Duration.ofSeconds(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("turn 0: missing output field 'answer'");
    }
}
