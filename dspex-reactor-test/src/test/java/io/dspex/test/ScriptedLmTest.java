package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.CallConfig;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.retry.Retry;


class ScriptedLmTest {

    private static LmRequest ask(String text) {
        return LmRequest.of(List.of(Message.user(text)));
    }

    @Test
    void answersByRuleThenSequenceThenFallback() {
        ScriptedLm lm = ScriptedLm.create()
                .when(r -> ScriptedLm.lastUserMessage(r).contains("France"), "Paris")
                .when(r -> ScriptedLm.lastUserMessage(r).contains("echo"), r -> "you said " + ScriptedLm.lastUserMessage(r))
                .reply("no idea");
        assertThat(lm.call(ask("capital of France")).map(LmResponse::text).block()).isEqualTo("Paris");
        assertThat(lm.call(ask("echo me")).map(LmResponse::text).block()).isEqualTo("you said echo me");
        assertThat(lm.call(ask("other")).map(LmResponse::text).block()).isEqualTo("no idea");
        lm.replies("first", "second");
        assertThat(lm.call(ask("France")).map(LmResponse::text).block()).isEqualTo("first");
        assertThat(lm.call(ask("France")).map(LmResponse::text).block()).isEqualTo("second");
        assertThat(lm.call(ask("France")).map(LmResponse::text).block()).isEqualTo("Paris");
        assertThat(lm.requestCount()).isEqualTo(6);
        assertThat(lm.requests()).hasSize(6);
        assertThat(lm.lastRequest()).isEqualTo(ask("France"));
    }

    @Test
    void unmatchedRequestFailsNamingIt() {
        StepVerifier.create(ScriptedLm.create().call(ask("lost question")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("lost question"))
                .verify();
    }

    @Test
    void failsNextCallsThenRecoversUnderRetryInVirtualTime() {
        ScriptedLm lm = ScriptedLm.replying("ok")
                .faultNext(2, () -> new LmException.RateLimit("slow down", Duration.ofSeconds(1)))
                .latency(Duration.ofSeconds(5));
        StepVerifier.withVirtualTime(() -> lm.call(ask("q"))
                        .retryWhen(Retry.backoff(3, Duration.ofSeconds(1)).filter(e -> ((LmException) e).isRetryable()))
                        .map(LmResponse::text))
                .thenAwait(Duration.ofMinutes(1))
                .expectNext("ok")
                .verifyComplete();
        assertThat(lm.requestCount()).isEqualTo(3);
    }

    @Test
    void faultWhenAndIsLazy() {
        ScriptedLm lm = ScriptedLm.create().faultWhen(r -> true, () -> new LmException.Authentication("bad key"));
        Mono<LmResponse> call = lm.call(ask("x"));
        assertThat(lm.requestCount()).isZero();
        StepVerifier.create(call).expectError(LmException.Authentication.class).verify();
        StepVerifier.create(call).expectError(LmException.Authentication.class).verify();
        assertThat(lm.requestCount()).isEqualTo(2);
    }

    @Test
    void streamsWordsThenUsage() {
        ScriptedLm lm = ScriptedLm.answering(r -> "one two three");
        List<LmChunk> chunks = lm.stream(ask("go now")).collectList().block();
        assertThat(chunks).extracting(LmChunk::text).containsExactly("one", " two", " three", "", "");
        assertThat(chunks.get(3).finishReason()).isEqualTo("stop");
        assertThat(chunks.get(4).usage()).isEqualTo(Usage.of(2, 3));
        List<LmChunk> sized = lm.streamChunkSize(4).stream(ask("x")).collectList().block();
        assertThat(sized).extracting(LmChunk::text).startsWith("one ", "two ", "thre", "e");
    }

    @Test
    void honoursNAndFullResponses() {
        ScriptedLm lm = ScriptedLm.create().reply("same").replies(LmResponse.of(List.of("a", "b"), Usage.of(1, 1)));
        assertThat(lm.call(ask("x")).block().texts()).containsExactly("a", "b");
        assertThat(lm.call(ask("x").withConfig(CallConfig.empty().withN(3))).block().texts()).containsExactly("same", "same", "same");
        assertThat(lm.id()).isEqualTo("scripted");
        assertThat(ScriptedLm.create("my-lm").id()).isEqualTo("my-lm");
    }

    @Test
    void repliesGoOnePerChoiceAndFaultsComeFirstAsOnTheServer() {
        ScriptedLm lm = ScriptedLm.create().replies("one", "two", "three").reply("rest")
                .faultWhen(r -> ScriptedLm.lastUserMessage(r).equals("bad"),
                        () -> new LmException.InternalServer("boom"));
        CallConfig two = CallConfig.empty().withN(2);
        assertThat(lm.call(ask("x").withConfig(two)).block().texts()).containsExactly("one", "two");
        StepVerifier.create(lm.call(ask("bad"))).expectError(LmException.InternalServer.class).verify();
        assertThat(lm.call(ask("x").withConfig(two)).block().texts()).containsExactly("three", "rest");
        lm.clearFaults();
        assertThat(lm.call(ask("bad")).block().text()).isEqualTo("rest");
        assertThat(lm.requestCount()).isEqualTo(4);
        lm.resetRecording();
        assertThat(lm.requestCount()).isZero();
        assertThat(lm.requests()).isEmpty();
    }
}
