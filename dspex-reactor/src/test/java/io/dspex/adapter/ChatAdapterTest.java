package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;




class ChatAdapterTest {

    enum Sentiment { positive, negative }

    record City(String name, Optional<Integer> population) {
    }

    final ChatAdapter chat = new ChatAdapter();

    static String system(Signature sig) {
        return new ChatAdapter().format(sig, List.of(), inputsFor(sig)).get(0).content();
    }

    static Map<String, Object> inputsFor(Signature sig) {
        Map<String, Object> m = new LinkedHashMap<>();
        sig.inputFields().forEach(f -> m.put(f.name(), "x"));
        return m;
    }

    static String user(Signature sig, Map<String, ?> inputs) {
        List<Message> ms = new ChatAdapter().format(sig, List.of(), inputs);
        return ms.get(ms.size() - 1).content();
    }

    // ------------------------------------------------------------------ type notes and names

    @Test
    void typeNoteForBool() {
        assertThat(system(Signature.parse("q -> ok: bool")))
                .contains("{ok}        # note: the value you produce must be True or False\n");
    }

    @Test
    void typeNoteForInt() {
        assertThat(system(Signature.parse("q -> n: int")))
                .contains("{n}        # note: the value you produce must be a single int value\n");
    }

    @Test
    void typeNoteForFloat() {
        assertThat(system(Signature.parse("q -> x: float")))
                .contains("{x}        # note: the value you produce must be a single float value\n");
    }

    @Test
    void typeNoteForEnum() {
        Signature sig = Signature.builder().input("q", "str").output("s", Sentiment.class).build();
        assertThat(system(sig)).contains("2. `s` (Sentiment)".substring(3))
                .contains("{s}        # note: the value you produce must be one of: positive; negative\n");
    }

    @Test
    void typeNoteForLiteral() {
        assertThat(system(Signature.parse("q -> a: Literal['yes', 'no']")))
                .contains("1. `a` (Literal['yes', 'no']):")
                .contains("{a}        # note: the value you produce must exactly match (no extra characters) one of: yes; no\n");
    }

    @Test
    void typeNoteForOtherTypesIsTheJsonSchema() {
        assertThat(system(Signature.parse("q -> m: dict[str, int]"))).contains(
                "{m}        # note: the value you produce must adhere to the JSON schema: {\"type\": \"object\", \"additionalProperties\": {\"type\": \"integer\"}}\n");
        assertThat(system(Signature.parse("q -> o: Optional[str]")))
                .contains("1. `o` (Union[str, NoneType]):")
                .contains("{o}        # note: the value you produce must adhere to the JSON schema: {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}\n");
    }

    @Test
    void noTypeNoteForStrOrInputs() {
        String s = system(Signature.parse("n: int -> a"));
        assertThat(s).contains("[[ ## n ## ]]\n{n}\n\n[[ ## a ## ]]\n{a}\n\n[[ ## completed ## ]]").doesNotContain("note");
    }

    @Test
    void descriptionsAppearAfterTheType() {
        Signature sig = Signature.builder().input("question", "str", "a trivia question")
                .output("answer", "str", "often 1-5 words").output("why", "str").build();
        assertThat(system(sig)).startsWith("Your input fields are:\n1. `question` (str): a trivia question\n"
                + "Your output fields are:\n1. `answer` (str): often 1-5 words\n2. `why` (str):\nAll interactions");
    }

    @Test
    void multiLineInstructionsAreIndentedLineByLine() {
        Signature sig = Signature.parse("q -> a", "    First line.\n    Second line.\n\n      Indented.");
        assertThat(system(sig)).endsWith("your objective is: \n        First line.\n        Second line.\n        \n"
                + "          Indented.");
    }

    @Test
    void userMessageTypeInfoForNonStrOutputs() {
        assertThat(user(Signature.parse("q -> a, n: int, o: Optional[str]"), Map.of("q", "hi"))).isEqualTo(
                "[[ ## q ## ]]\nhi\n\nRespond with the corresponding output fields, starting with the field "
                        + "`[[ ## a ## ]]`, then `[[ ## n ## ]]` (must be formatted as a valid Python int), then "
                        + "`[[ ## o ## ]]` (must be formatted as a valid Python Union[str, NoneType]), and then ending "
                        + "with the marker for `[[ ## completed ## ]]`.");
    }

    // ------------------------------------------------------------------ values

    @Test
    void listGivenToStrFieldRendersNumberedBlobs() {
        Signature sig = Signature.parse("context, q -> a");
        assertThat(user(sig, Map.of("context", List.of("a", "b"), "q", "x")))
                .startsWith("[[ ## context ## ]]\n[1] «a»\n[2] «b»\n\n[[ ## q ## ]]\nx");
        assertThat(user(sig, Map.of("context", List.of("only"), "q", "x"))).startsWith("[[ ## context ## ]]\n«only»\n\n");
        assertThat(user(sig, Map.of("context", List.of(), "q", "x"))).startsWith("[[ ## context ## ]]\nN/A\n\n");
        assertThat(user(sig, Map.of("context", List.of("l1\nl2", "has «x»"), "q", "x")))
                .startsWith("[[ ## context ## ]]\n[1] «««\n    l1\n    l2\n»»»\n[2] «««\n    has «x»\n»»»\n\n");
    }

    @Test
    void listGivenToTypedFieldRendersJson() {
        Signature sig = Signature.parse("context: list[str], q -> a");
        assertThat(user(sig, Map.of("context", List.of("é", "b\"c"), "q", "x")))
                .startsWith("[[ ## context ## ]]\n[\"é\", \"b\\\"c\"]\n\n");
    }

    @Test
    void pythonRenderingOfScalarsAndStructures() {
        Signature sig = Signature.parse("a: bool, b: float, c: int, d: dict[str, float], e, f: float -> out");
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("a", true);
        in.put("b", 1e-5);
        in.put("c", 42);
        in.put("d", Map.of("k", 2.0));
        in.put("e", null);
        in.put("f", 1e16);
        assertThat(user(sig, in)).startsWith("[[ ## a ## ]]\nTrue\n\n[[ ## b ## ]]\n1e-05\n\n[[ ## c ## ]]\n42\n\n"
                + "[[ ## d ## ]]\n{\"k\": 2.0}\n\n[[ ## e ## ]]\nNone\n\n[[ ## f ## ]]\n1e+16\n\n");
    }

    @Test
    void recordsAndEnumsRenderAsJsonAndValue() {
        Signature sig = Signature.builder().input("city", City.class).input("s", Sentiment.class)
                .output("a", "str").build();
        assertThat(user(sig, Map.of("city", new City("Zürich", Optional.empty()), "s", Sentiment.positive)))
                .startsWith("[[ ## city ## ]]\n{\"name\": \"Zürich\", \"population\": null}\n\n[[ ## s ## ]]\npositive\n\n");
    }

    @Test
    void missingInputsAreNamed() {
        assertThatThrownBy(() -> chat.format(Signature.parse("question, context -> answer"), List.of(),
                Map.of("other", 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing input fields [question, context]");
    }

    // ------------------------------------------------------------------ demos

    @Test
    void incompleteDemosComeFirstAndUnusableDemosAreDropped() {
        Signature sig = Signature.parse("q -> a, b");
        Example complete = Example.of(Map.of("q", "Q1", "a", "A1", "b", "B1", "extra", "ignored"));
        Example incomplete = Example.of(Map.of("q", "Q2", "b", "B2"));
        Example noOutput = Example.of(Map.of("q", "Q3"));
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("q", "Q4");
        withNull.put("a", null);
        withNull.put("b", "B4");
        List<Message> ms = chat.format(sig, List.of(complete, incomplete, noOutput, Example.of(withNull)),
                Map.of("q", "Q"));
        assertThat(ms).hasSize(1 + 6 + 1);
        assertThat(ms.get(1).content()).isEqualTo(
                "This is an example of the task, though some input or output fields are not supplied.\n\n[[ ## q ## ]]\nQ2");
        assertThat(ms.get(2).content()).isEqualTo("[[ ## a ## ]]\nNot supplied for this particular example. \n\n"
                + "[[ ## b ## ]]\nB2\n\n[[ ## completed ## ]]\n");
        assertThat(ms.get(4).content()).isEqualTo("[[ ## a ## ]]\nNone\n\n[[ ## b ## ]]\nB4\n\n[[ ## completed ## ]]\n");
        assertThat(ms.get(5).content()).isEqualTo("[[ ## q ## ]]\nQ1");
        assertThat(ms.get(6).content()).isEqualTo("[[ ## a ## ]]\nA1\n\n[[ ## b ## ]]\nB1\n\n[[ ## completed ## ]]\n");
        assertThat(ms).extracting(m -> m.role().toString())
                .containsExactly("system", "user", "assistant", "user", "assistant", "user", "assistant", "user");
    }

    // ------------------------------------------------------------------ parse

    @Test
    void parsesEveryScalarType() {
        Signature sig = Signature.parse("q -> s, i: int, f: float, b: bool, l: Literal['yes', 'no']");
        Map<String, Object> out = chat.parse(sig, "[[ ## s ## ]]\nhello world\n\n[[ ## i ## ]]\n42\n\n"
                + "[[ ## f ## ]]\n0.5\n\n[[ ## b ## ]]\nTrue\n\n[[ ## l ## ]]\n'yes'\n\n[[ ## completed ## ]]");
        assertThat(out).containsExactly(Map.entry("s", "hello world"), Map.entry("i", 42), Map.entry("f", 0.5),
                Map.entry("b", true), Map.entry("l", "yes"));
    }

    @Test
    void parsesStructuredTypes() {
        Signature sig = Signature.builder().input("q", "str").output("l", "list[str]").output("d", "dict[str, int]")
                .output("c", City.class).output("e", Sentiment.class).output("x", "list[float]").build();
        Map<String, Object> out = chat.parse(sig, "[[ ## l ## ]]\n['a', 'b',]\n[[ ## d ## ]]\n```json\n{\"k\": \"3\"}\n```\n"
                + "[[ ## c ## ]]\n{name: 'Bern', population: None}\n[[ ## e ## ]]\nnegative\n[[ ## x ## ]]\n[1, 2.5]");
        assertThat(out.get("l")).isEqualTo(List.of("a", "b"));
        assertThat(out.get("d")).isEqualTo(Map.of("k", 3));
        assertThat(out.get("c")).isEqualTo(new City("Bern", Optional.empty()));
        assertThat(out.get("e")).isEqualTo(Sentiment.negative);
        assertThat(out.get("x")).isEqualTo(Arrays.asList(1.0, 2.5));
    }

    @Test
    void firstOccurrenceWinsAndUnknownHeadersAndPreambleAreIgnored() {
        Signature sig = Signature.parse("q -> a");
        assertThat(chat.parse(sig, "Sure, here it is.\n[[ ## note ## ]]\nignored\n[[ ## a ## ]]\nfirst\n"
                + "[[ ## a ## ]]\nsecond\n[[ ## completed ## ]]")).containsExactly(Map.entry("a", "first"));
    }

    @Test
    void headerTextOnTheSameLineBelongsToTheSection() {
        Signature sig = Signature.parse("q -> a, b");
        assertThat(chat.parse(sig, "[[ ## a ## ]] inline\nmore\n[[ ## b ## ]]   x  "))
                .containsExactly(Map.entry("a", "inline\nmore"), Map.entry("b", "x"));
    }

    @Test
    void indentedHeaderCutsSameLineTextAsDspyDoes() {
        // DSPy measures the header on the stripped line and cuts the original line there.
        Signature sig = Signature.parse("q -> a");
        assertThat(chat.parse(sig, "  [[ ## a ## ]]\nvalue")).containsExactly(Map.entry("a", "]]\nvalue"));
    }

    @Test
    void splitsLinesAsPythonSplitlines() {
        Signature sig = Signature.parse("q -> a, b");
        assertThat(chat.parse(sig, "[[ ## a ## ]]\r\none\r[[ ## b ## ]]\u2028two"))
                .containsExactly(Map.entry("a", "one"), Map.entry("b", "two"));
    }

    @Test
    void missingOptionalOutputIsNull() {
        Signature sig = Signature.parse("q -> a, maybe: Optional[int]");
        Map<String, Object> out = chat.parse(sig, "[[ ## a ## ]]\nx");
        assertThat(out).containsEntry("maybe", null).containsEntry("a", "x");
        assertThat(chat.parse(sig, "[[ ## a ## ]]\nx\n[[ ## maybe ## ]]\nNone")).containsEntry("maybe", null);
        assertThat(chat.parse(sig, "[[ ## a ## ]]\nx\n[[ ## maybe ## ]]\n7")).containsEntry("maybe", 7);
    }

    @Test
    void missingFieldErrorHasDspysExactMessage() {
        Signature sig = Signature.parse("q -> a, b");
        assertThatThrownBy(() -> chat.parse(sig, "[[ ## a ## ]]\nx")).isInstanceOf(AdapterParseException.class)
                .hasMessage("Adapter ChatAdapter failed to parse the LM response. \n\nLM Response: [[ ## a ## ]]\nx \n\n"
                        + "Expected to find output fields in the LM response: [a, b] \n\n"
                        + "Actual output fields parsed from the LM response: [a] \n\n")
                .satisfies(e -> {
                    AdapterParseException ape = (AdapterParseException) e;
                    assertThat(ape.adapterName()).isEqualTo("ChatAdapter");
                    assertThat(ape.completion()).isEqualTo("[[ ## a ## ]]\nx");
                    assertThat(ape.expectedFields()).containsExactly("a", "b");
                    assertThat(ape.parsedFields()).containsExactly("a");
                });
    }

    @Test
    void badValueErrorNamesTheFieldAndValue() {
        Signature sig = Signature.parse("q -> n: int");
        assertThatThrownBy(() -> chat.parse(sig, "[[ ## n ## ]]\nmany")).isInstanceOf(AdapterParseException.class)
                .hasMessageStartingWith("Failed to parse field n with value many from the LM response. Error message: "
                        + "Input should be a valid integer")
                .hasMessageEndingWith("\n\nAdapter ChatAdapter failed to parse the LM response. \n\nLM Response: "
                        + "[[ ## n ## ]]\nmany \n\nExpected to find output fields in the LM response: [n] \n\n");
        assertThatThrownBy(() -> chat.parse(Signature.parse("q -> l: Literal['yes', 'no']"), "[[ ## l ## ]]\nmaybe"))
                .hasMessageContaining("Error message: 'maybe' is not one of ('yes', 'no')");
    }

    @Test
    void literalWrapperAndEnumByName() {
        assertThat(chat.parse(Signature.parse("q -> l: Literal['yes', 'no']"), "[[ ## l ## ]]\nLiteral['no']"))
                .containsEntry("l", "no");
        Signature sig = Signature.builder().input("q", "str").output("e", Sentiment.class).build();
        assertThatThrownBy(() -> chat.parse(sig, "[[ ## e ## ]]\nneutral"))
                .hasMessageContaining("neutral is not a valid name or value for the enum Sentiment");
    }

    @Test
    void responseFormatIsEmpty() {
        assertThat(chat.responseFormat(Signature.parse("q -> a"))).isEmpty();
    }

    @Test
    void formatIsCachedPerSignatureButEqualAcrossInstances() {
        Signature s1 = Signature.parse("q -> a");
        Signature s2 = Signature.parse("q -> a");
        assertThat(chat.format(s1, List.of(), Map.of("q", "x"))).isEqualTo(chat.format(s2, List.of(), Map.of("q", "x")));
        assertThat(chat.format(s1.withInstructions("Other."), List.of(), Map.of("q", "x")).get(0).content())
                .endsWith("\n        Other.");
    }
}
