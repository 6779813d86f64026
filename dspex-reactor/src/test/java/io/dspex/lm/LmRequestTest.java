package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LmRequestTest {

    private static final List<Message> MSGS = List.of(Message.system("sys"), Message.user("hi \"there\""));

    @Test
    void buildsAndCopies() {
        CallConfig c = CallConfig.empty().withTemperature(0.5).withMaxTokens(10).withN(2)
                .withStop(List.of("END")).withSeed(7L).withExtra("top_p", 0.9).withRolloutId("r1");
        LmRequest r = LmRequest.of(MSGS, c).withResponseFormat(Map.of("type", "json_object"));
        assertThat(r.messages()).isEqualTo(MSGS);
        assertThat(r.config().model()).isNull();
        assertThat(r.config().temperature()).isEqualTo(0.5);
        assertThat(LmRequest.of(MSGS, c).withResponseFormat(Map.of("type", "json_object"))).isEqualTo(r)
                .hasSameHashCodeAs(r);
        assertThat(r.withConfig(c.withRolloutId("r2"))).isNotEqualTo(r);
        assertThat(r.toString()).contains("temperature=0.5").contains("rolloutId=r1").doesNotContain("hi");
        assertThat(LmRequest.of(MSGS).config()).isSameAs(CallConfig.empty());
    }

    @Test
    void layersOverrideSetValuesOnly() {
        CallConfig client = CallConfig.empty().withModel("m").withTemperature(0.0).withExtra("top_p", 0.5)
                .withExtra("presence_penalty", 0.1);
        CallConfig call = CallConfig.empty().withTemperature(1.0).withN(3).withExtra("top_p", 0.9);
        CallConfig both = client.overriddenBy(call);
        assertThat(both.model()).isEqualTo("m");
        assertThat(both.temperature()).isEqualTo(1.0);
        assertThat(both.n()).isEqualTo(3);
        assertThat(both.extra()).containsExactly(Map.entry("top_p", 0.9), Map.entry("presence_penalty", 0.1));
        assertThat(client.overriddenBy(CallConfig.empty())).isSameAs(client);
        assertThat(CallConfig.empty().overriddenBy(call)).isSameAs(call);
        assertThat(CallConfig.empty().isEmpty()).isTrue();
        assertThat(call.withExtra("top_p", null).extra()).isEmpty();
    }

    @Test
    void rejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> LmRequest.of(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("messages");
        assertThatThrownBy(() -> LmRequest.of(null)).isInstanceOf(IllegalArgumentException.class);
        CallConfig c = CallConfig.empty();
        assertThatThrownBy(() -> c.withTemperature(-1.0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> c.withTemperature(Double.NaN)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> c.withMaxTokens(0)).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> c.withN(0)).hasMessageContaining("n must");
        assertThatThrownBy(() -> c.withExtra("stream", true)).hasMessageContaining("stream");
        assertThatThrownBy(() -> c.withExtra(Map.of("messages", 1))).hasMessageContaining("messages");
        assertThatThrownBy(() -> c.withStop(List.of(""))).hasMessageContaining("stop[0]");
        assertThatThrownBy(() -> c.withModel(" ")).hasMessageContaining("model");
        assertThatThrownBy(() -> LmRequest.of(java.util.Arrays.asList(Message.user("a"), null)))
                .hasMessageContaining("messages[1]");
    }

    @Test
    void writesTheChatBodyWithDefaultsExtrasAndWithoutRolloutId() throws Exception {
        LmRequest r = LmRequest.of(MSGS, CallConfig.empty().withN(2).withStop(List.of("END")).withSeed(7L)
                .withExtra("top_p", 0.9).withRolloutId("secret-rollout"))
                .withResponseFormat(Map.of("type", "json_object"));
        CallConfig d = CallConfig.empty().withModel("m1").withTemperature(0.3).withMaxTokens(100)
                .withExtra(Map.of("presence_penalty", 0.1, "top_p", 0.5));
        JsonNode body = Json.MAPPER.readTree(ChatCodec.writeChat(r, d, true));
        assertThat(body.get("model").asText()).isEqualTo("m1");
        assertThat(body.get("messages").get(1).get("content").asText()).isEqualTo("hi \"there\"");
        assertThat(body.get("messages").get(0).get("role").asText()).isEqualTo("system");
        assertThat(body.get("temperature").asDouble()).isEqualTo(0.3);
        assertThat(body.get("max_tokens").asInt()).isEqualTo(100);
        assertThat(body.get("n").asInt()).isEqualTo(2);
        assertThat(body.get("seed").asLong()).isEqualTo(7);
        assertThat(body.get("stop").get(0).asText()).isEqualTo("END");
        assertThat(body.get("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.get("presence_penalty").asDouble()).isEqualTo(0.1);
        assertThat(body.get("response_format").get("type").asText()).isEqualTo("json_object");
        assertThat(body.get("stream").asBoolean()).isTrue();
        assertThat(body.get("stream_options").get("include_usage").asBoolean()).isTrue();
        assertThat(body.toString()).doesNotContain("secret-rollout");
        JsonNode plain = Json.MAPPER.readTree(ChatCodec.writeChat(
                LmRequest.of(MSGS, CallConfig.empty().withModel("m2")), CallConfig.empty().withModel("m1"), false));
        assertThat(plain.get("model").asText()).isEqualTo("m2");
        assertThat(plain.has("stream")).isFalse();
        assertThat(plain.has("temperature")).isFalse();
    }

    @Test
    void readsAChatCompletion() throws Exception {
        String json = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":["
                + "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\"b\"},\"finish_reason\":\"length\"},"
                + "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5,\"details\":{\"x\":1}}}";
        LmResponse r = ChatCodec.readChat(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        assertThat(r.texts()).containsExactly("", "b");
        assertThat(r.choices().get(1).finishReason()).isEqualTo("length");
        assertThat(r.usage()).isEqualTo(new Usage(3, 2, 5));
        assertThat(r.model()).isEqualTo("m");
        assertThat(r.requestId()).isEqualTo("chatcmpl-1");
        assertThat(r.raw()).isEqualTo(json);
    }

    @Test
    void rejectsBodiesThatAreNotCompletions() {
        assertThatThrownBy(() -> ChatCodec.readChat("{\"choices\":[]}".getBytes(), null))
                .isInstanceOf(ChatCodec.ShapeException.class);
        assertThatThrownBy(() -> ChatCodec.readChat("{\"choices\":[{\"message\":".getBytes(), null))
                .isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> ChatCodec.readChat("[1]".getBytes(), null))
                .isInstanceOf(ChatCodec.ShapeException.class);
    }

    @Test
    void defaultStreamEmitsOneChunkPerChoiceWithUsageLast() {
        LanguageModel lm = req -> reactor.core.publisher.Mono.just(LmResponse.of(List.of("a", "b"), Usage.of(1, 2)));
        reactor.test.StepVerifier.create(lm.stream(LmRequest.of(MSGS)))
                .expectNext(new LmChunk("a", 0, "stop", null))
                .expectNext(new LmChunk("b", 1, "stop", Usage.of(1, 2)))
                .verifyComplete();
        assertThat(lm.id()).isNotBlank();
    }
}
