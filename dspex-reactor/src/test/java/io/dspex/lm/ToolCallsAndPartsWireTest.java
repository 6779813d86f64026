package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tool calls, tool results and content parts on the OpenAI chat-completions wire, both ways. */
class ToolCallsAndPartsWireTest {

    private static final Map<String, Object> WEATHER = Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "description", "Weather of a city",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")),
                    "required", List.of("city"))));

    @Test
    void writesToolsToolChoiceToolCallsToolResultsAndParts() throws Exception {
        ToolCall call = new ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}");
        LmRequest r = LmRequest.of(List.of(
                        Message.system("sys"),
                        Message.user(List.of(new Message.Part.Text("What is "), new Message.Part.Text("this?"),
                                new Message.Part.ImageUrl("data:image/png;base64,AAAA"))),
                        Message.assistant("", List.of(call)),
                        Message.tool("call_1", "18 °C"),
                        Message.assistant("Let me look.", List.of(call))))
                .withTools(List.of(WEATHER)).withToolChoice("required");
        JsonNode body = Json.MAPPER.readTree(ChatCodec.writeChat(r, CallConfig.empty().withModel("m"), false));
        JsonNode messages = body.get("messages");
        assertThat(messages.get(1).get("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"What is \"},"
                + "{\"type\":\"text\",\"text\":\"this?\"},{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"data:image/png;base64,AAAA\"}}]");
        assertThat(messages.get(2).get("content").isNull()).isTrue();
        assertThat(messages.get(2).get("tool_calls").toString()).isEqualTo("[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]");
        assertThat(messages.get(3).get("role").asText()).isEqualTo("tool");
        assertThat(messages.get(3).get("tool_call_id").asText()).isEqualTo("call_1");
        assertThat(messages.get(3).get("content").asText()).isEqualTo("18 °C");
        assertThat(messages.get(4).get("content").asText()).isEqualTo("Let me look.");
        assertThat(body.get("tools").get(0).get("function").get("name").asText()).isEqualTo("get_weather");
        assertThat(body.get("tool_choice").asText()).isEqualTo("required");
        JsonNode plain = Json.MAPPER.readTree(ChatCodec.writeChat(LmRequest.of(List.of(Message.user("hi"))),
                CallConfig.empty().withModel("m"), false));
        assertThat(plain.has("tools")).isFalse();
        assertThat(plain.has("tool_choice")).isFalse();
        assertThat(plain.get("messages").get(0).has("tool_calls")).isFalse();
    }

    @Test
    void readsToolCallsOfACompletion() throws Exception {
        String json = "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\","
                + "\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                + "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":1}\"}},"
                + "{\"type\":\"function\",\"function\":{\"name\":\"g\"}}]}}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
        LmResponse r = ChatCodec.readChat(json.getBytes(StandardCharsets.UTF_8), null);
        assertThat(r.text()).isEmpty();
        assertThat(r.choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(r.toolCalls()).containsExactly(new ToolCall("call_a", "f", "{\"x\":1}"),
                new ToolCall("call_1", "g", "{}"));
        assertThat(r.asChunks().get(0).toolCalls()).isEqualTo(r.toolCalls());
    }

    @Test
    void aCompletionToolCallWithoutANameIsAShapeError() {
        String json = "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"x\",\"function\":{}}]}}]}";
        assertThatThrownBy(() -> ChatCodec.readChat(json.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(ChatCodec.ShapeException.class).hasMessageContaining("no function name");
    }

    @Test
    void assemblesStreamedToolCallsPerChoiceAndDeliversThemOnTheFinishingChunk() throws Exception {
        List<String> events = List.of(
                "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,"
                        + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        + "\"arguments\":\"\"}}]}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                        + "\"{\\\"ci\"}}]}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\","
                        + "\"function\":{\"name\":\"now\",\"arguments\":\"{}\"}}]}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                        + "\"ty\\\": \\\"Paris\\\"}\"}}]}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}");
        ToolCallAssembler assembler = new ToolCallAssembler();
        List<LmChunk> out = new ArrayList<>();
        for (String e : events) {
            ChatCodec.StreamData sd = ChatCodec.readStreamData(e);
            sd.toolCallDeltas().forEach(assembler::add);
            for (LmChunk c : sd.chunks()) {
                out.add(c.finishReason() != null ? assembler.complete(c) : c);
            }
        }
        assertThat(out).hasSize(1);
        assertThat(out.get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(out.get(0).toolCalls()).containsExactly(
                new ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}"), new ToolCall("call_2", "now", "{}"));
        assertThat(assembler.drain()).isEmpty();
    }

    @Test
    void callsOfAStreamThatEndsWithoutAFinishReasonAreDrainedAndANamelessCallIsRefused() throws Exception {
        ToolCallAssembler assembler = new ToolCallAssembler();
        ChatCodec.readStreamData("{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}").toolCallDeltas().forEach(assembler::add);
        List<LmChunk> drained = assembler.drain();
        assertThat(drained).singleElement().satisfies(c -> {
            assertThat(c.choiceIndex()).isEqualTo(1);
            assertThat(c.toolCalls()).containsExactly(new ToolCall("c", "f", "{}"));
        });
        ToolCallAssembler nameless = new ToolCallAssembler();
        ChatCodec.readStreamData("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                + "{\"arguments\":\"{}\"}}]}}]}").toolCallDeltas().forEach(nameless::add);
        assertThatThrownBy(nameless::drain).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("never named its function");
    }

    @Test
    void messagesRefuseToolFieldsOnTheWrongRole() {
        ToolCall call = new ToolCall("call_1", "f", "{}");
        assertThatThrownBy(() -> new Message(Message.Role.USER, "x", List.of(), List.of(call), null))
                .hasMessageContaining("only an assistant message carries tool calls");
        assertThatThrownBy(() -> new Message(Message.Role.TOOL, "x"))
                .hasMessageContaining("needs the id of the tool call");
        assertThatThrownBy(() -> new Message(Message.Role.USER, "x", List.of(), List.of(), "call_1"))
                .hasMessageContaining("only a tool message answers");
        assertThatThrownBy(() -> Message.user(List.of())).hasMessageContaining("at least one part");
        assertThatThrownBy(() -> new ToolCall("", "f", "{}")).hasMessageContaining("id");
        assertThatThrownBy(() -> new ToolCall("i", " ", "{}")).hasMessageContaining("name");
        assertThat(Message.Role.of("TOOL")).isEqualTo(Message.Role.TOOL);
        assertThat(Message.user(List.of(new Message.Part.Text("a"), new Message.Part.ImageUrl("https://x/y.png"),
                new Message.Part.Text("b"))).content()).isEqualTo("ab");
        assertThat(new Message.Part.ImageUrl("data:image/png;base64," + "A".repeat(10_000)).toString())
                .startsWith("ImageUrl[data:image/png;base64,…(").hasSizeLessThan(80);
    }

    @Test
    void requestsValidateToolsAndToolChoiceAndTheyChangeTheCacheKey() {
        LmRequest plain = LmRequest.of(List.of(Message.user("q")));
        assertThatThrownBy(() -> plain.withTools(List.of(Map.of("type", "function"))))
                .hasMessageContaining("tools[0]");
        assertThatThrownBy(() -> plain.withToolChoice("sometimes")).hasMessageContaining("toolChoice");
        assertThatThrownBy(() -> plain.withToolChoice(Map.of("type", "function"))).hasMessageContaining("toolChoice");
        LmRequest withTools = plain.withTools(List.of(WEATHER));
        LanguageModel lm = request -> reactor.core.publisher.Mono.empty();
        List<String> keys = List.of(LmCacheKey.of(lm, plain), LmCacheKey.of(lm, withTools),
                LmCacheKey.of(lm, withTools.withToolChoice("auto")),
                LmCacheKey.of(lm, plain.withMessages(List.of(Message.user("q"), Message.assistant("",
                        List.of(new ToolCall("c", "f", "{}")))))));
        assertThat(keys).doesNotHaveDuplicates();
        assertThat(withTools).isNotEqualTo(plain).isEqualTo(plain.withTools(List.of(WEATHER)));
        assertThat(withTools.toString()).contains("tools=1");
    }

    @Test
    void messagesAndResponsesWithToolCallsSurviveJson() throws Exception {
        Message m = Message.assistant("x", List.of(new ToolCall("c", "f", "{\"a\": 1}")));
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(m), Message.class)).isEqualTo(m);
        Message parts = Message.user(List.of(new Message.Part.Text("t"), new Message.Part.ImageUrl("https://x")));
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(parts), Message.class)).isEqualTo(parts);
        assertThat(Json.MAPPER.writeValueAsString(Message.user("plain"))).isEqualTo(
                "{\"role\":\"user\",\"content\":\"plain\"}");
        LmResponse r = new LmResponse(List.of(new LmResponse.Choice("", "tool_calls",
                List.of(new ToolCall("c", "f", "{}")))), Usage.of(1, 1), "m", null, null);
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(r), LmResponse.class)).isEqualTo(r);
        Message empty = Message.assistant("");
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(empty), Message.class)).isEqualTo(empty);
    }
}
