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
        LmRequest r = LmRequest.of(MSGS).withTemperature(0.5).withMaxTokens(10).withN(2)
                .withStop(List.of("END")).withSeed(7L).withExtra("top_p", 0.9).withRolloutId("r1")
                .withResponseFormat(Map.of("type", "json_object"));
        assertThat(r.messages()).isEqualTo(MSGS);
        assertThat(r.model()).isNull();
        assertThat(r.temperature()).isEqualTo(0.5);
        assertThat(r.toBuilder().build()).isEqualTo(r).hasSameHashCodeAs(r);
        assertThat(r.withRolloutId("r2")).isNotEqualTo(r);
        assertThat(r.toString()).contains("temperature=0.5").contains("rolloutId=r1");
    }

    @Test
    void rejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> LmRequest.of(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("messages");
        assertThatThrownBy(() -> LmRequest.of(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LmRequest.of(MSGS).withTemperature(-1.0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> LmRequest.of(MSGS).withMaxTokens(0)).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> LmRequest.of(MSGS).withN(0)).hasMessageContaining("n must");
        assertThatThrownBy(() -> LmRequest.of(MSGS).withExtra("stream", true)).hasMessageContaining("stream");
        assertThatThrownBy(() -> LmRequest.of(MSGS).withStop(List.of(""))).hasMessageContaining("stop[0]");
        assertThatThrownBy(() -> LmRequest.of(java.util.Arrays.asList(Message.user("a"), null)))
                .hasMessageContaining("messages[1]");
    }

    @Test
    void writesTheChatBodyWithDefaultsExtrasAndWithoutRolloutId() throws Exception {
        LmRequest r = LmRequest.of(MSGS).withN(2).withStop(List.of("END")).withSeed(7L)
                .withExtra("top_p", 0.9).withRolloutId("secret-rollout")
                .withResponseFormat(Map.of("type", "json_object"));
        ChatCodec.Defaults d = new ChatCodec.Defaults("m1", 0.3, 100, Map.of("presence_penalty", 0.1, "top_p", 0.5));
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
        JsonNode plain = Json.MAPPER.readTree(ChatCodec.writeChat(LmRequest.of(MSGS).withModel("m2"),
                new ChatCodec.Defaults("m1", null, null, Map.of()), false));
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
