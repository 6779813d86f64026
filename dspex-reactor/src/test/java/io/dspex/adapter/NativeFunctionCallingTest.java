package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.Example;
import io.dspex.internal.Json;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.ToolCall;
import io.dspex.signature.Signature;
import io.dspex.tool.ToolCalls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Native function calling ({@code use_native_function_calling=True}) compared with DSPy 3.3.1 (fixture
 * {@code native_function_calling_dspy331.json}, from {@code ChatAdapter(use_native_function_calling=True)} and
 * {@code JSONAdapter()}: {@code _call_preprocess}, {@code format}, {@code _call_postprocess}): the tools go in the
 * request as OpenAI functions, the {@code tools} input and the {@code calls} output leave the prompt, and the
 * response's tool calls become the {@code ToolCalls} output; the signature and tools are those of
 * {@link CustomTypesConformanceTest}.
 */
class NativeFunctionCallingTest {

    static Map<String, Map<String, Object>> fixture() throws IOException {
        try (InputStream in = NativeFunctionCallingTest.class.getResourceAsStream(
                "native_function_calling_dspy331.json")) {
            return Json.MAPPER.readValue(in, new TypeReference<>() { });
        }
    }

    static final List<Example> DEMOS = List.of(Example.of(Map.of("question", "Add 2 and 2",
            "tools", List.of(CustomTypesConformanceTest.ADD), "answer", "4")));

    static List<LmResponse.Choice> choices(boolean chat) {
        return List.of(
                new LmResponse.Choice("", "tool_calls", List.of(new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}"),
                        new ToolCall("call_2", "search", "{\"query\": \"três\"}"))),
                new LmResponse.Choice(chat ? "[[ ## answer ## ]]\n3\n\n[[ ## completed ## ]]" : "{\"answer\": \"3\"}",
                        "stop"),
                new LmResponse.Choice(chat ? "[[ ## answer ## ]]\nI will call\n\n[[ ## completed ## ]]"
                        : "{\"answer\": \"I will call\"}", "tool_calls", List.of(new ToolCall("call_3", "add", "{}"))));
    }

    @SuppressWarnings("unchecked")
    void check(Adapter adapter, boolean chat, Map<String, Object> expected) {
        Signature sig = CustomTypesConformanceTest.calls();
        LmRequest request = adapter.formatRequest(sig, DEMOS, CustomTypesConformanceTest.callsInputs(), null);
        // DSPy writes "description": null for a tool without one; we leave the key out (OpenAI: an optional string)
        List<Map<String, Object>> tools = Json.MAPPER.convertValue(expected.get("tools"), new TypeReference<>() { });
        ((Map<String, Object>) tools.get(1).get("function")).remove("description");
        assertThat(request.tools()).isEqualTo(tools);
        assertThat(CustomTypesConformanceTest.wire(request.messages())).isEqualTo(expected.get("messages"));
        List<Map<String, Object>> values = new ArrayList<>();
        List<Map<String, Object>> parsed = new ArrayList<>();
        for (LmResponse.Choice c : choices(chat)) {
            Map<String, Object> v = adapter.parse(sig, c);
            parsed.add(v);
            Map<String, Object> shown = new java.util.LinkedHashMap<>(v);
            shown.computeIfPresent("calls", (k, x) -> ((ToolCalls) x).format());
            values.add(shown);
        }
        assertThat(Json.MAPPER.convertValue(values, List.class)).isEqualTo(expected.get("values"));
        assertThat(((ToolCalls) parsed.get(0).get("calls")).toolCalls()).extracting(ToolCalls.ToolCall::id)
                .containsExactly("call_1", "call_2");
        assertThat(parsed.get(0).keySet()).containsExactly("answer", "calls");
    }

    @Test
    void chatAdapterSendsToolsAndReadsToolCallsAsDspyDoes() throws IOException {
        check(new ChatAdapter().withNativeFunctionCalling(), true, fixture().get("chat"));
    }

    @Test
    void jsonAdapterSendsToolsAndReadsToolCallsAsDspyDoes() throws IOException {
        JsonAdapter json = new JsonAdapter();
        assertThat(json.usesNativeFunctionCalling()).as("DSPy's JSONAdapter default").isTrue();
        check(json, false, fixture().get("json"));
        Map<String, Object> rf = json.formatRequest(CustomTypesConformanceTest.calls(), List.of(),
                CustomTypesConformanceTest.callsInputs(), null).responseFormat();
        assertThat(rf).containsEntry("type", "json_schema");
        assertThat((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) rf.get("json_schema"))
                .get("schema")).get("properties")).containsOnlyKeys("answer");
        assertThat(json.withNativeFunctionCalling(false).formatRequest(CustomTypesConformanceTest.calls(), List.of(),
                CustomTypesConformanceTest.callsInputs(), null).responseFormat())
                .as("DSPy: json_object when ToolCalls is an output without native function calling")
                .isEqualTo(Map.of("type", "json_object"));
    }

    @Test
    void withoutNativeFunctionCallingNoToolsAreSentAndTheFallbackKeepsTheSetting() {
        LmRequest request = new ChatAdapter().formatRequest(CustomTypesConformanceTest.calls(), List.of(),
                CustomTypesConformanceTest.callsInputs(), null);
        assertThat(request.tools()).isEmpty();
        assertThat(request.messages().get(1).content()).contains("[[ ## tools ## ]]");
        assertThat(new ChatAdapter().fallback()).hasValue(new JsonAdapter().withNativeFunctionCalling(false));
        assertThat(new ChatAdapter().withNativeFunctionCalling().fallback()).hasValue(new JsonAdapter());
    }

    @Test
    void aToolCallsOutputWithoutToolsInputIsRejectedAsDspyRejectsIt() {
        Signature sig = Signature.parse("question -> calls: ToolCalls");
        assertThatThrownBy(() -> new ChatAdapter().withNativeFunctionCalling().formatRequest(sig, List.of(),
                Map.of("question", "q"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("You provided an output field calls to receive the tool calls information");
    }

    @Test
    void anEmptyResponseAndArgumentsThatAreNotAnObjectAreParseErrors() {
        Signature sig = CustomTypesConformanceTest.calls();
        ChatAdapter chat = new ChatAdapter().withNativeFunctionCalling();
        assertThatThrownBy(() -> chat.parse(sig, new LmResponse.Choice("", "stop")))
                .isInstanceOf(AdapterParseException.class)
                .hasMessageStartingWith("The LM returned an empty or null response.");
        assertThatThrownBy(() -> chat.parse(sig, new LmResponse.Choice("", "tool_calls",
                List.of(new ToolCall("c1", "add", "[1, 2]")))))
                .isInstanceOf(AdapterParseException.class)
                .hasMessageContaining("The arguments of tool call add (id c1) are not a JSON object: [1, 2]");
    }
}
