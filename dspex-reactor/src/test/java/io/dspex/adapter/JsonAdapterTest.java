package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.internal.PyFormat;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;




class JsonAdapterTest {

    record Item(String name, int qty) {
    }

    final JsonAdapter json = new JsonAdapter();

    @Test
    void parsesObjectEmbeddedInProse() {
        Signature sig = Signature.parse("q -> answer, confidence: float");
        assertThat(json.parse(sig, "Sure! {\"answer\": \"Paris\", \"confidence\": 0.9, \"extra\": 1} Bye."))
                .containsExactly(Map.entry("answer", "Paris"), Map.entry("confidence", 0.9));
    }

    @Test
    void parsesPythonishJsonInACodeFence() {
        Signature sig = Signature.parse("q -> ok: bool, items: list[str], none: Optional[str]");
        assertThat(json.parse(sig, "```json\n{'ok': True, 'items': ['a', 'b',], 'none': None,}\n```"))
                .containsEntry("ok", true).containsEntry("items", List.of("a", "b")).containsEntry("none", null);
    }

    @Test
    void numbersGivenForStrBecomeTheirPythonText() {
        Signature sig = Signature.parse("q -> a, b, c");
        assertThat(json.parse(sig, "{\"a\": 42, \"b\": true, \"c\": 1.5}"))
                .containsExactly(Map.entry("a", "42"), Map.entry("b", "True"), Map.entry("c", "1.5"));
    }

    @Test
    void stringsGivenForTypedFieldsAreReadLeniently() {
        Signature sig = Signature.parse("q -> n: int, l: list[int]");
        assertThat(json.parse(sig, "{\"n\": \"4\", \"l\": \"[1, 2]\"}"))
                .containsExactly(Map.entry("n", 4), Map.entry("l", List.of(1, 2)));
    }

    @Test
    void notAnObjectHasDspysMessage() {
        Signature sig = Signature.parse("q -> a");
        assertThatThrownBy(() -> json.parse(sig, "no json here")).isInstanceOf(AdapterParseException.class)
                .hasMessage("LM response cannot be serialized to a JSON object.\n\nAdapter JSONAdapter failed to parse "
                        + "the LM response. \n\nLM Response: no json here \n\nExpected to find output fields in the LM "
                        + "response: [a] \n\n");
    }

    @Test
    void missingFieldHasDspysMessage() {
        Signature sig = Signature.parse("q -> a, b");
        assertThatThrownBy(() -> json.parse(sig, "x {\"b\": \"1\"} y")).isInstanceOf(AdapterParseException.class)
                .hasMessage("Adapter JSONAdapter failed to parse the LM response. \n\nLM Response: {\"b\": \"1\"} \n\n"
                        + "Expected to find output fields in the LM response: [a, b] \n\n"
                        + "Actual output fields parsed from the LM response: [b] \n\n");
    }

    @Test
    void incompleteDemoAndNonAsciiInJsonTurns() {
        Signature sig = Signature.parse("q -> a, b: list[str]");
        List<Message> ms = json.format(sig, List.of(Example.of(Map.of("q", "Q", "b", List.of("é")))), Map.of("q", "x"));
        assertThat(ms.get(1).content()).startsWith("This is an example of the task");
        assertThat(ms.get(2).content()).isEqualTo("{\n  \"a\": \"Not supplied for this particular example. \",\n"
                + "  \"b\": [\n    \"é\"\n  ]\n}");
        assertThat(ms.get(0).content()).contains("\"b\": \"{b}        # note: the value you produce must adhere to the "
                + "JSON schema: {\\\"type\\\": \\\"array\\\", \\\"items\\\": {\\\"type\\\": \\\"string\\\"}}\"");
    }

    @Test
    void strictResponseFormatForTypedOutputs() {
        Signature sig = Signature.builder().input("q", "str").output("answer", "str")
                .output("items", PyFormatTestTypes.itemList()).build();
        Map<String, Object> rf = json.responseFormat(sig).orElseThrow();
        assertThat(PyFormat.dumps(rf, false)).isEqualTo("{\"type\": \"json_schema\", \"json_schema\": {\"name\": "
                + "\"DSPyProgramOutputs\", \"strict\": true, \"schema\": {\"type\": \"object\", \"$defs\": {\"Item\": "
                + "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\", \"title\": \"Name\"}, "
                + "\"qty\": {\"type\": \"integer\", \"title\": \"Qty\"}}, \"required\": [\"name\", \"qty\"], \"title\": "
                + "\"Item\", \"additionalProperties\": false}}, \"properties\": {\"answer\": {\"type\": \"string\", "
                + "\"title\": \"Answer\"}, \"items\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/Item\"}, "
                + "\"title\": \"Items\"}}, \"title\": \"DSPyProgramOutputs\", \"required\": [\"answer\", \"items\"], "
                + "\"additionalProperties\": false}}}");
    }

    @Test
    void jsonObjectResponseFormatWhenAnOutputIsAnOpenDict() {
        assertThat(json.responseFormat(Signature.parse("q -> d: dict[str, int]")))
                .contains(Map.of("type", "json_object"));
    }

    /** Java types for the tests above. */
    static final class PyFormatTestTypes {
        List<Item> items;

        static java.lang.reflect.Type itemList() {
            try {
                return PyFormatTestTypes.class.getDeclaredField("items").getGenericType();
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
