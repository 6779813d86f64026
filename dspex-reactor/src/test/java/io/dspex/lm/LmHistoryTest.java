package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link LmHistory}: DSPy's {@code inspect_history} output byte for byte, the bounded lock-free ring, and the
 * per-model decorator.
 *
 * <p>The expected texts in {@code inspect_history_dspy331.json} were printed by DSPy 3.3.1's own
 * {@code dspy.utils.inspect_history.pretty_print_history}, once with {@code file=} (no colours) and once to stdout
 * (ANSI colours), for history entries equal to the ones {@link #cases()} builds here: OpenAI-format message dicts
 * (string content, content parts with image URLs and a data URL, an assistant turn that only calls tools with
 * {@code content: None}, a tool result) and outputs as DSPy's LM makes them (strings, or dicts with {@code text} and
 * {@code tool_calls} when a choice called tools), with the timestamps {@code 2025-01-02T03:04:05.123456} and
 * {@code 2025-01-02T03:04:05}.
 */
class LmHistoryTest {

    private static final Instant TS = local("2025-01-02T03:04:05.123456");
    private static final Instant TS0 = local("2025-01-02T03:04:05");

    private static Instant local(String iso) {
        return LocalDateTime.parse(iso).atZone(ZoneId.systemDefault()).toInstant();
    }

    private static final Message SYSTEM = Message.system("Your input fields are:\n1. `question` (str)\n\n  ");
    private static final Message USER = Message.user("  [[ ## question ## ]]\nWhat is 2+2?\n");

    private static LmHistory.Entry entry(Instant at, List<Message> messages, LmResponse.Choice... choices) {
        return new LmHistory.Entry(at, LmRequest.of(messages), new LmResponse(List.of(choices), Usage.of(3, 4),
                "m", null, null));
    }

    private static LmResponse.Choice text(String t) {
        return new LmResponse.Choice(t, "stop");
    }

    /** The same histories as the DSPy script, by case name. */
    private static Map<String, List<LmHistory.Entry>> cases() {
        LmHistory.Entry simple = entry(TS, List.of(SYSTEM, USER), text("  [[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]\n"));
        LmHistory.Entry multi = entry(TS0, List.of(USER), text("first"), text("second"), text("third"));
        LmHistory.Entry parts = entry(TS, List.of(Message.user(List.of(
                new Message.Part.Text(" What is in these pictures? "),
                new Message.Part.ImageUrl("https://example.com/cat.png"),
                new Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo=")))), text("A cat."));
        LmHistory.Entry tools = entry(TS, List.of(USER,
                        Message.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"city\": \"Zürich\"}"),
                                new ToolCall("call_2", "noop", "not json"))),
                        Message.tool("call_1", "18 °C")),
                new LmResponse.Choice("It is 18 °C.", "tool_calls",
                        List.of(new ToolCall("call_3", "log", "{\"level\":1,\"tags\":[\"a\"]}"))),
                text(""));
        LmHistory.Entry onlyTools = entry(TS, List.of(USER),
                new LmResponse.Choice("", "tool_calls", List.of(new ToolCall("c", "f", "{}"))));
        return Map.of("simple", List.of(simple), "three_choices", List.of(multi), "two_entries", List.of(simple, multi),
                "n_larger_than_history", List.of(simple), "n_one_of_two", List.of(simple, multi),
                "content_parts", List.of(parts), "tool_calls", List.of(tools), "only_tool_calls", List.of(onlyTools));
    }

    @Test
    void inspectPrintsAsDspyDoes() throws IOException {
        JsonNode fixtures;
        try (InputStream in = LmHistoryTest.class.getResourceAsStream("inspect_history_dspy331.json")) {
            fixtures = Json.MAPPER.readTree(in);
        }
        Map<String, List<LmHistory.Entry>> cases = cases();
        assertThat(fixtures).hasSize(cases.size());
        for (JsonNode f : fixtures) {
            String name = f.path("name").asText();
            LmHistory history = new LmHistory(10);
            cases.get(name).forEach(history::record);
            int n = f.path("n").asInt();
            assertThat(history.inspect(n)).as(name).isEqualTo(f.path("plain").asText());
            assertThat(history.inspect(n, true)).as(name + " in colour").isEqualTo(f.path("colors").asText());
        }
    }

    @Test
    void anEmptyHistoryPrintsOnlyTheClosingLines() {
        assertThat(new LmHistory(3).inspect(1)).isEqualTo("\n\n\n\n");
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new LmHistory(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity must be at least 1, got 0");
        assertThatThrownBy(() -> new LmHistory(3).inspect(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("n >= 1");
        assertThatThrownBy(() -> new LmHistory(3).record(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LmHistory(3).wrap(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOldestEntryIsDroppedWhenFull() {
        LmHistory history = new LmHistory(3);
        for (int i = 0; i < 5; i++) {
            history.record(LmRequest.of(List.of(Message.user("q" + i))), LmResponse.of("a" + i));
        }
        assertThat(history.entries().stream().map(e -> e.outputs().get(0))).containsExactly("a2", "a3", "a4");
        assertThat(history.entries().get(0).messages().get(0).content()).isEqualTo("q2");
        history.clear();
        assertThat(history.entries()).isEmpty();
        history.record(LmRequest.of(List.of(Message.user("q5"))), LmResponse.of("a5"));
        assertThat(history.entries().stream().map(e -> e.outputs().get(0))).containsExactly("a5");
    }

    @Test
    void concurrentRecordingKeepsTheLastEntriesAndNeverGrows() throws InterruptedException {
        LmHistory history = new LmHistory(100);
        int threads = 8;
        int each = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            pool.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < each; i++) {
                    history.record(LmRequest.of(List.of(Message.user("t"))), LmResponse.of(thread + ":" + i));
                }
            });
        }
        go.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

        List<LmHistory.Entry> entries = history.entries();
        assertThat(entries).hasSize(100);
        Set<String> distinct = new HashSet<>();
        entries.forEach(e -> distinct.add(e.outputs().get(0)));
        assertThat(distinct).hasSize(100);
    }

    @Test
    void aWrappedModelRecordsItsCompletedCalls() {
        LmHistory history = new LmHistory(10);
        LanguageModel base = new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                String q = request.messages().get(0).content();
                return q.equals("fail") ? Mono.error(new LmException.BadRequest("no"))
                        : Mono.just(new LmResponse(List.of(new LmResponse.Choice("answer to " + q, "stop")),
                        Usage.of(5, 2), "m-1", null, null));
            }

            @Override
            public Flux<LmChunk> stream(LmRequest request) {
                return Flux.just(new LmChunk("Hel", 0, null, null), new LmChunk("Hi", 1, null, null),
                        new LmChunk("lo", 0, "stop", null), new LmChunk("!", 1, "length", null),
                        LmChunk.ofUsage(Usage.of(4, 3)));
            }

            @Override
            public String id() {
                return "base-model";
            }

            @Override
            public String model() {
                return "m-default";
            }
        };
        LanguageModel lm = history.wrap(base);
        assertThat(lm.id()).isEqualTo("base-model");
        assertThat(lm.model()).as("usage is totalled under the wrapped model's name").isEqualTo("m-default");

        LmResponse r = lm.call(LmRequest.of(List.of(Message.user("q1")))).block(Duration.ofSeconds(5));
        StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("fail"))))).expectError().verify();
        lm.stream(LmRequest.of(List.of(Message.user("s")))).blockLast(Duration.ofSeconds(5));

        List<LmHistory.Entry> entries = history.entries();
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).response()).isSameAs(r);
        assertThat(entries.get(0).usage()).isEqualTo(Usage.of(5, 2));
        assertThat(entries.get(0).model()).isEqualTo("m-1");
        LmResponse streamed = entries.get(1).response();
        assertThat(streamed.texts()).containsExactly("Hello", "Hi!");
        assertThat(streamed.choices().get(1).finishReason()).isEqualTo("length");
        assertThat(streamed.usage()).isEqualTo(Usage.of(4, 3));
        assertThat(history.inspect(1)).contains("Response:\n\nHello\n\n \t (and 1 other completions)\n");
    }

    @Test
    void timestampsAreLocalIsoFormatLikePython() {
        assertThat(LmHistory.timestamp(TS)).isEqualTo("2025-01-02T03:04:05.123456");
        assertThat(LmHistory.timestamp(TS0)).isEqualTo("2025-01-02T03:04:05");
        assertThat(LmHistory.timestamp(local("2025-11-30T23:59:09.000100"))).isEqualTo("2025-11-30T23:59:09.000100");
    }

    @Test
    void entriesHoldWhatWasSentAndReceived() {
        List<Message> messages = new ArrayList<>(List.of(Message.user("q")));
        LmHistory.Entry e = new LmHistory.Entry(TS, LmRequest.of(messages), LmResponse.of("a"));
        assertThat(e.messages()).containsExactly(Message.user("q"));
        assertThat(e.outputs()).containsExactly("a");
        assertThat(e.usage()).isEqualTo(Usage.ZERO);
        assertThat(e.model()).isNull();
        assertThatThrownBy(() -> new LmHistory.Entry(null, LmRequest.of(messages), LmResponse.of("a")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
