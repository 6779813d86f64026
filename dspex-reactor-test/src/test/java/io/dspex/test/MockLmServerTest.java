package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmChunk;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class MockLmServerTest {

    private MockLmServer server;
    private OpenAiCompatibleLm lm;

    @BeforeEach
    void start() {
        server = MockLmServer.create().start();
        lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("m").embeddingModel("e").build();
    }

    @AfterEach
    void stop() {
        lm.close();
        server.close();
    }

    private static LmRequest ask(String text) {
        return LmRequest.of(List.of(Message.user(text)));
    }

    private List<String> outcomes(int calls) {
        return Flux.range(0, calls)
                .concatMap(i -> lm.call(ask("q" + i)).map(r -> "ok")
                        .onErrorResume(LmException.class, e -> Mono.just(e.getClass().getSimpleName())))
                .collectList().block(Duration.ofSeconds(20));
    }

    @Test
    void faultOnTheNthAndNextRequests() {
        server.faultOn(2, Fault.status(500, "x")).faultNext(1, Fault.status(429, "y"));
        assertThat(outcomes(4)).containsExactly("RateLimit", "InternalServer", "ok", "ok");
    }

    @Test
    void randomFaultsAreReproducibleWithASeed() {
        server.faultRandomly(0.3, 42L, Fault.status(503, "flaky"));
        List<String> first = outcomes(60);
        server.reset().faultRandomly(0.3, 42L, Fault.status(503, "flaky"));
        List<String> second = outcomes(60);
        assertThat(first).isEqualTo(second).contains("ok", "InternalServer");
        long failures = first.stream().filter(s -> !s.equals("ok")).count();
        assertThat(failures).isBetween(5L, 35L);
    }

    @Test
    void recordsAndCountsRequestsAndConnections() {
        server.faultWhen(r -> r.lastUserMessage().equals("q1"), Fault.status(400, "no"));
        assertThat(outcomes(3)).containsExactly("ok", "BadRequest", "ok");
        assertThat(server.requestCount()).isEqualTo(3);
        assertThat(server.requests()).extracting(ParsedRequest::lastUserMessage).containsExactly("q0", "q1", "q2");
        assertThat(server.requests().get(0).number()).isEqualTo(1);
        assertThat(server.openConnections()).isPositive();
        lm.close();
        assertThat(server.awaitConnectionsClosed(server.connectionsOpened(), Duration.ofSeconds(5))).isTrue();
        assertThat(server.openConnections()).isZero();
    }

    @Test
    void randomLatencyDelaysAnswers() {
        server.latency(Duration.ofMillis(20), Duration.ofMillis(40), 7L);
        long start = System.nanoTime();
        assertThat(outcomes(3)).containsOnly("ok");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(60));
    }

    @Test
    void embeddingsAreDeterministicAndOrdered() {
        server.embeddingDimensions(8);
        List<float[]> v = lm.embed(List.of("cat", "dog", "cat")).block(Duration.ofSeconds(10));
        assertThat(v).hasSize(3);
        assertThat(v.get(0)).hasSize(8).containsExactly(MockLmServer.embeddingOf("cat", 8));
        assertThat(v.get(2)).containsExactly(v.get(0));
        assertThat(v.get(1)).isNotEqualTo(v.get(0));
        assertThat(server.lastRequest().model()).isEqualTo("e");
        assertThat(server.lastRequest().inputs()).containsExactly("cat", "dog", "cat");
        assertThat(lm.embed(List.of()).block()).isEmpty();
        server.fault(Fault.status(429, "later"));
        StepVerifier.create(lm.embed(List.of("x"))).expectError(LmException.RateLimit.class).verify(Duration.ofSeconds(10));
    }

    @Test
    void unknownPathsAndBadBodiesAreClientErrors() {
        OpenAiCompatibleLm wrong = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl() + "/nope").model("m").build();
        try {
            StepVerifier.create(wrong.call(ask("x"))).expectError(LmException.NotFound.class).verify(Duration.ofSeconds(10));
        } finally {
            wrong.close();
        }
    }

    @Test
    void servesManyConcurrentRequests() {
        server.recordRequests(false).reply(r -> "pong");
        List<String> all = Flux.range(0, 2000).flatMap(i -> lm.call(ask("ping " + i)).map(LmResponse::text), 64)
                .collectList().block(Duration.ofSeconds(30));
        assertThat(all).hasSize(2000).containsOnly("pong");
        assertThat(server.requestCount()).isEqualTo(2000);
        assertThat(server.requests()).isEmpty();
        assertThat(server.connectionsOpened()).isLessThanOrEqualTo(100); // the client's pool size
    }

    @Test
    void rejectsBadConfiguration() {
        assertThatThrownBy(() -> server.faultRandomly(1.5, 1, Fault.hang())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fault.status(99, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.start()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> MockLmServer.create().baseUrl()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void wholeResponsesScriptToolCallsThroughRepliesRulesAndTheFallback() {
        ToolCall add = new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}");
        LmResponse calls = LmResponse.ofToolCalls("", List.of(add));
        LmResponse withUsage = new LmResponse(List.of(new LmResponse.Choice("both", "tool_calls", List.of(add)),
                new LmResponse.Choice("second", "stop")), Usage.of(7, 5), null, null, null);
        server.replies(calls).replies("text").when(r -> r.lastUserMessage().equals("rule"), withUsage)
                .reply(calls);
        LmResponse first = lm.call(ask("a")).block();
        assertThat(first.toolCalls()).containsExactly(add);
        assertThat(first.choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(lm.call(ask("b")).block().text()).isEqualTo("text");
        LmResponse rule = lm.call(ask("rule")).block();
        assertThat(rule.choices()).hasSize(2);
        assertThat(rule.texts()).containsExactly("both", "second");
        assertThat(rule.usage()).isEqualTo(Usage.of(7, 5));
        assertThat(lm.call(ask("c").withConfig(CallConfig.empty().withN(2))).block().toolCalls()).containsExactly(add);
        assertThat(server.lastRequest().n()).isEqualTo(2);
    }

    @Test
    void streamedToolCallsArriveInFragmentsAndAreAssembledPerChoice() {
        ToolCall longArgs = new ToolCall("call_9", "search", "{\"query\": \"a fairly long query «ü»\", \"k\": 10}");
        assertThat(MockLmServer.fragments(longArgs.arguments())).hasSizeGreaterThan(3);
        server.reply(new LmResponse(List.of(new LmResponse.Choice("one", "stop"),
                new LmResponse.Choice("", "tool_calls", List.of(longArgs, new ToolCall("call_10", "add", "{}")))),
                null, null, null, null));
        List<LmChunk> chunks = lm.stream(ask("go").withConfig(CallConfig.empty().withN(2))).collectList().block();
        assertThat(chunks.stream().filter(c -> c.choiceIndex() == 1).flatMap(c -> c.toolCalls().stream()).toList())
                .containsExactly(longArgs, new ToolCall("call_10", "add", "{}"));
        assertThat(chunks.stream().filter(c -> c.choiceIndex() == 0).flatMap(c -> c.toolCalls().stream()).toList())
                .isEmpty();
        assertThat(server.lastRequest().rawBody()).contains("\"stream\":true");
    }
}
