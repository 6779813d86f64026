package io.dspex.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.signature.FieldType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@link ToolCalls}: DSPy's accepted shapes, description and schema, and running the calls. */
class ToolCallsTest {

    static final ToolCalls ONE = ToolCalls.of(List.of(ToolCalls.ToolCall.of("add", Map.of("a", 1, "b", 2))));

    @Test
    void everyShapeDspyAcceptsIsRead() {
        assertThat(ToolCalls.validate(Map.of("tool_calls", List.of(Map.of("name", "add", "args",
                Map.of("a", 1, "b", 2)))))).isEqualTo(ONE);
        assertThat(ToolCalls.validate(List.of(Map.of("name", "add", "args", Map.of("a", 1, "b", 2))))).isEqualTo(ONE);
        assertThat(ToolCalls.validate(Map.of("name", "add", "arguments", Map.of("a", 1, "b", 2)))).isEqualTo(ONE);
        ToolCalls provider = ToolCalls.validate(List.of(Map.of("id", "call_9", "type", "function", "function",
                Map.of("name", "add", "arguments", "{\"a\": 1, \"b\": 2}"))));
        assertThat(provider).isEqualTo(ToolCalls.of(List.of(new ToolCalls.ToolCall("call_9", "add",
                Map.of("a", 1, "b", 2)))));
        assertThat(ToolCalls.validate(ONE)).isSameAs(ONE);
        assertThat(FieldType.parse("ToolCalls").convert(Map.of("tool_calls", List.of())))
                .isEqualTo(ToolCalls.of(List.of()));
    }

    @Test
    void otherShapesAreRejectedInDspysWords() {
        assertThatThrownBy(() -> ToolCalls.validate("add(1, 2)"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Received invalid value for `dspy.ToolCalls`: add(1, 2)");
        assertThatThrownBy(() -> ToolCalls.validate(Map.of("tool_calls", "x")))
                .hasMessageStartingWith("Received invalid value for `dspy.ToolCalls`");
        assertThatThrownBy(() -> ToolCalls.validate(List.of(Map.of("function", Map.of("name", "f",
                "arguments", "[1]"))))).hasMessageContaining("are not a JSON object: [1]");
        assertThatThrownBy(() -> ToolCalls.validate(Map.of("tool_calls", List.of(Map.of("args", Map.of())))))
                .hasMessageContaining("has no name");
    }

    @Test
    void formatDescriptionAndSchemaAreDspys() {
        assertThat(ONE.format()).isEqualTo(Map.of("tool_calls", List.of(Map.of("name", "add", "args",
                Map.of("a", 1, "b", 2)))));
        assertThat(ONE.serialize()).isEqualTo(ONE.format());
        FieldType t = FieldType.parse("ToolCalls");
        assertThat(t.dspyName()).isEqualTo("ToolCalls");
        assertThat(t.typeDescription()).isEqualTo(ToolCalls.description());
        assertThat(t.jsonSchema()).isEqualTo("{\"type\": \"object\", \"$defs\": {\"ToolCall\": {\"type\": \"object\", "
                + "\"properties\": {\"args\": {\"type\": \"object\", \"additionalProperties\": true, \"title\": "
                + "\"Args\"}, "
                + "\"name\": {\"type\": \"string\", \"title\": \"Name\"}}, \"required\": [\"name\", \"args\"], "
                + "\"title\": "
                + "\"ToolCall\"}}, \"properties\": {\"tool_calls\": {\"type\": \"array\", \"items\": {\"$ref\": "
                + "\"#/$defs/ToolCall\"}, \"title\": \"Tool Calls\"}}, \"required\": [\"tool_calls\"], \"title\": "
                + "\"ToolCalls\"}");
        assertThat(t.strictSchemaCapable()).isFalse();
    }

    @Test
    void executeRunsEachCallInOrderAndKeepsEveryResult() {
        AtomicInteger order = new AtomicInteger();
        Tool add = Tool.of("add", null, ToolTest.Sum.class, s -> Mono.fromCallable(() -> {
            order.incrementAndGet();
            return s.a() + s.b();
        }));
        Tool nothing = Tool.of("nothing", null, Map.of(), a -> Mono.empty());
        ToolCalls calls = ToolCalls.of(List.of(new ToolCalls.ToolCall("c1", "add", Map.of("a", 1, "b", 2)),
                new ToolCalls.ToolCall("c2", "missing", Map.of()),
                new ToolCalls.ToolCall("c3", "add", Map.of("a", "x", "b", 2)),
                new ToolCalls.ToolCall("c4", "nothing", Map.of()),
                new ToolCalls.ToolCall("c5", "add", Map.of("a", 2, "b", 2))));
        StepVerifier.create(calls.execute(List.of(add, nothing)))
                .assertNext(r -> assertThat(r).isEqualTo(new ToolCalls.Result("c1", "add", 3, null)))
                .assertNext(r -> {
                    assertThat(r.isError()).isTrue();
                    assertThat(r.value()).isEqualTo("Tool function 'missing' not found. Please pass the tool "
                            + "functions to the `execute` method.");
                })
                .assertNext(r -> assertThat(r.error()).isInstanceOf(ToolException.class)
                        .hasMessage("Arg a is invalid: string found, integer expected"))
                .assertNext(r -> assertThat(r).isEqualTo(new ToolCalls.Result("c4", "nothing", null, null)))
                .assertNext(r -> assertThat(r.value()).isEqualTo(4))
                .verifyComplete();
        assertThat(order).hasValue(2);
        StepVerifier.create(calls.toolCalls().get(0).execute(List.of(add))).expectNext(3).verifyComplete();
    }
}
