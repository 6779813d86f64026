package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dspex.Example;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.AdapterParseException;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The contract every {@link Adapter} must pass: what it renders as a demo's assistant message parses back to the
 * demo's outputs (for strings, numbers, booleans, lists, dicts, {@code Literal}, {@code Optional}, records and enums);
 * {@link Adapter#format} puts the system message first, each demo as a user/assistant pair and the inputs last, and
 * names missing inputs; {@link Adapter#parse} fails with {@link AdapterParseException}; a {@link Adapter#fallback()
 * fallback} parses what it formats and the fallback chain ends; and, when the adapter streams,
 * {@link Adapter#streamFields} reports each field's text piece by piece, the pieces adding up to what {@code parse}
 * reads.
 *
 * <p><b>How to extend.</b>
 *
 * <pre>{@code
 * class MyAdapterContractTest extends AdapterContract {
 *     @Override
 *     protected Adapter adapter() {
 *         return new MyAdapter();
 *     }
 *
 *     @Override
 *     protected boolean supportsStreamingFields() {
 *         return false; // MyAdapter does not override streamFields
 *     }
 * }
 * }</pre>
 *
 * <p>Override {@link #roundTripCases()} to add cases of your own (or to leave out types your adapter does not
 * handle). To replace one case, override its method (with its test annotation); to drop it, override it without
 * one. Every case is {@code protected}, so a subclass in any package can.
 */
public abstract class AdapterContract {

    /** Creates the suite. */
    protected AdapterContract() {
    }

    /**
     * A record the default round-trip cases use as an output type (a pydantic model in DSPy's terms).
     *
     * @param name a name
     * @param age  an age
     * @param tags some tags
     */
    public record Person(String name, int age, List<String> tags) {
    }

    /** An enum the default round-trip cases use as an output type. */
    public enum Mood {
        /** Calm. */
        CALM,
        /** Excited. */
        EXCITED
    }

    /**
     * One round trip: a demo with these inputs and outputs, formatted, must parse back to the outputs.
     *
     * @param name      shown as the test's name
     * @param signature the signature
     * @param inputs    a value for each input field
     * @param outputs   a value for each output field (null for an absent {@code Optional})
     */
    public record Case(String name, Signature signature, Map<String, Object> inputs, Map<String, Object> outputs) {

        /**
         * Copies the maps (null values allowed).
         *
         * @param name      shown as the test's name
         * @param signature the signature
         * @param inputs    a value for each input field
         * @param outputs   a value for each output field
         * @throws IllegalArgumentException when an argument is null
         */
        public Case {
            if (name == null || signature == null || inputs == null || outputs == null) {
                throw new IllegalArgumentException("a round-trip case needs a name, a signature, inputs and outputs");
            }
            inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
            outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        }

        /** @return the demo: the inputs, then the outputs */
        public Example demo() {
            Map<String, Object> all = new LinkedHashMap<>(inputs);
            all.putAll(outputs);
            return Example.of(all);
        }
    }

    // ------------------------------------------------------------------ what an adapter supplies

    /** @return the adapter under test (a new one or a shared one: adapters are stateless) */
    protected abstract Adapter adapter();

    /**
     * @return whether {@link Adapter#streamFields} reports output fields as a reply streams (default true); when
     *         false, the suite checks instead that it reports nothing
     */
    protected boolean supportsStreamingFields() {
        return true;
    }

    /**
     * The round trips to check. The defaults cover {@code str} (quotes, non-ASCII, a line break), {@code int},
     * {@code float}, {@code bool}, {@code list[str]}, {@code dict[str, int]}, {@code Literal}, {@code Optional} (set
     * and absent), several inputs, and a record and an enum given as Java types.
     *
     * @return the cases
     */
    protected List<Case> roundTripCases() {
        return List.of(
                new Case("str", Signature.builder().instructions("Answer the question.")
                        .input("question", "str").output("answer", "str").build(),
                        values("question", "What's the \"capital\" of France?"),
                        values("answer", "Paris — naïve ✓ 漢字\nsecond line, with: colon")),
                new Case("int, float and bool", Signature.builder()
                        .input("question", "str").output("count", "int").output("ratio", "float")
                        .output("ok", "bool").build(),
                        values("question", "How many?"),
                        values("count", -42, "ratio", 0.25, "ok", true)),
                new Case("list and dict", Signature.builder()
                        .input("question", "str").output("items", "list[str]").output("scores", "dict[str, int]")
                        .build(),
                        values("question", "Which?"),
                        values("items", List.of("a, b", "[c]", "emoji 🙂"), "scores", values("x", 1, "y z", 2))),
                new Case("Literal and Optional", Signature.builder()
                        .input("question", "str").output("label", "Literal['yes', 'no', 'maybe so']")
                        .output("note", "Optional[str]").output("missing", "Optional[int]").build(),
                        values("question", "Well?"),
                        values("label", "maybe so", "note", "a note", "missing", null)),
                new Case("several inputs", Signature.builder()
                        .input("context", "list[str]").input("question", "str").output("answer", "str").build(),
                        values("context", List.of("Paris is in France.", "Rome is in Italy."),
                                "question", "Where is Rome?"),
                        values("answer", "Italy")),
                new Case("record and enum", Signature.builder().instructions("Describe the person.")
                        .input("text", String.class).output("person", Person.class).output("mood", Mood.class)
                        .build(),
                        values("text", "Ada, 36, likes maths and chess"),
                        values("person", new Person("Ada", 36, List.of("maths", "chess")), "mood", Mood.CALM)));
    }

    /**
     * @param keysAndValues key, value, key, value, ... (values may be null)
     * @return an ordered, mutable map of them
     */
    protected static Map<String, Object> values(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }

    // ------------------------------------------------------------------ round trips

    /** @return one test per round-trip case: the demo's assistant message parses back to its outputs */
    @TestFactory
    protected Stream<DynamicTest> parsesWhatItFormats() {
        Adapter adapter = adapter();
        return roundTripCases().stream()
                .map(c -> DynamicTest.dynamicTest(c.name(), () -> assertRoundTrip(adapter, c)));
    }

    private static void assertRoundTrip(Adapter adapter, Case c) {
        String reply = assistantReply(adapter, c);
        Map<String, Object> parsed;
        try {
            parsed = adapter.parse(c.signature(), reply);
        } catch (AdapterParseException e) {
            throw new AssertionError(c.name() + ": " + c.signature() + " with " + c.outputs() + " rendered as\n"
                    + reply + "\nfailed to parse: " + e.getMessage(), e);
        }
        assertThat(normalize(parsed)).as("%s rendered as%n%s", c.name(), reply).isEqualTo(normalize(c.outputs()));
    }

    private static String assistantReply(Adapter adapter, Case c) {
        List<Message> messages = adapter.format(c.signature(), List.of(c.demo()), c.inputs());
        assertThat(messages).as("system, demo user, demo assistant, user").hasSize(4);
        assertThat(messages.get(2).role()).isEqualTo(Message.Role.ASSISTANT);
        return messages.get(2).content();
    }

    /** Numbers compare by value (Integer 5 equals Long 5), collections element by element. */
    private static Object normalize(Object v) {
        if (v instanceof Number n) {
            return new BigDecimal(n.toString()).stripTrailingZeros();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(normalize(x)));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(normalize(k), normalize(x)));
            return out;
        }
        return v;
    }

    /** @return one test per round-trip case: a response choice of that reply parses as the reply's text does */
    @TestFactory
    protected Stream<DynamicTest> parsesAChoiceAsItsText() {
        Adapter adapter = adapter();
        return roundTripCases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            String reply = assistantReply(adapter, c);
            assertThat(adapter.parse(c.signature(), new LmResponse.Choice(reply, "stop")))
                    .isEqualTo(adapter.parse(c.signature(), reply));
        }));
    }

    /**
     * The request of a call without tools carries the formatted messages, the call configuration and the response
     * format, and no tools.
     */
    @Test
    protected void formatRequestCarriesTheMessagesTheConfigAndTheResponseFormat() {
        Adapter adapter = adapter();
        Case c = roundTripCases().get(0);
        CallConfig config = CallConfig.empty().withTemperature(0.5);
        LmRequest request = adapter.formatRequest(c.signature(), List.of(c.demo()), c.inputs(), config);
        assertThat(request.messages()).isEqualTo(adapter.format(c.signature(), List.of(c.demo()), c.inputs()));
        assertThat(request.config()).isEqualTo(config);
        assertThat(Optional.ofNullable(request.responseFormat())).isEqualTo(adapter.responseFormat(c.signature()));
        assertThat(request.tools()).isEmpty();
    }

    // ------------------------------------------------------------------ format

    /** The system message comes first, then each demo as a user/assistant pair in order, then the inputs. */
    @Test
    protected void formatPutsSystemFirstThenDemoPairsThenTheInputs() {
        Adapter adapter = adapter();
        Signature sig = Signature.builder().instructions("Answer with the capital.")
                .input("question", "str").output("answer", "str").build();
        List<Example> demos = List.of(
                Example.of(Map.of("question", "first demo question", "answer", "first demo answer")),
                Example.of(Map.of("question", "second demo question", "answer", "second demo answer")));
        List<Message> messages = adapter.format(sig, demos, Map.of("question", "the final question ✓"));
        assertThat(messages).extracting(Message::role).containsExactly(Message.Role.SYSTEM, Message.Role.USER,
                Message.Role.ASSISTANT, Message.Role.USER, Message.Role.ASSISTANT, Message.Role.USER);
        assertThat(messages.get(0).content()).contains("question", "answer", "Answer with the capital.");
        assertThat(messages.get(1).content()).contains("first demo question");
        assertThat(messages.get(3).content()).contains("second demo question");
        assertThat(messages.get(5).content()).contains("the final question ✓");
        assertThat(adapter.parse(sig, messages.get(2).content())).containsEntry("answer", "first demo answer");
        assertThat(adapter.parse(sig, messages.get(4).content())).containsEntry("answer", "second demo answer");

        assertThat(adapter.format(sig, List.of(), Map.of("question", "q"))).extracting(Message::role)
                .containsExactly(Message.Role.SYSTEM, Message.Role.USER);
    }

    /** Missing input fields fail the format with an {@link IllegalArgumentException} naming each. */
    @Test
    protected void formatNamesMissingInputs() {
        Adapter adapter = adapter();
        Signature sig = Signature.builder().input("context", "str").input("question", "str")
                .output("answer", "str").build();
        assertThatThrownBy(() -> adapter.format(sig, List.of(), Map.of("question", "q")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context");
        assertThatThrownBy(() -> adapter.format(sig, List.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context")
                .hasMessageContaining("question");
    }

    /** A null signature or null inputs fail the format with an {@link IllegalArgumentException}. */
    @Test
    protected void formatRejectsNullArguments() {
        Adapter adapter = adapter();
        Signature sig = Signature.builder().input("question", "str").output("answer", "str").build();
        assertThatThrownBy(() -> adapter.format(null, List.of(), Map.of("question", "q")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> adapter.format(sig, List.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ parse errors

    /** A reply with no output field in it fails with an {@link AdapterParseException} naming the expected fields. */
    @Test
    protected void parseFailsTypedWhenNoOutputIsThere() {
        Signature sig = Signature.builder().input("question", "str").output("answer", "str").build();
        String reply = "I have no idea what format you want.";
        Throwable e = catchParse(sig, reply);
        assertThat(e).isInstanceOf(AdapterParseException.class);
        AdapterParseException p = (AdapterParseException) e;
        assertThat(p.expectedFields()).containsExactly("answer");
        assertThat(p.completion()).contains("no idea");
        assertThat(p.adapterName()).isNotBlank();
        assertThat(p.getMessage()).contains("answer");
    }

    /** A value that does not fit its field's type fails with an {@link AdapterParseException}. */
    @Test
    protected void parseFailsTypedOnAValueOfTheWrongType() {
        Adapter adapter = adapter();
        Signature text = Signature.builder().input("question", "str").output("count", "str").build();
        Signature number = Signature.builder().input("question", "str").output("count", "int").build();
        String reply = assistantReply(adapter, new Case("wrong type", text, values("question", "How many?"),
                values("count", "a great many")));
        Throwable e = catchParse(number, reply);
        assertThat(e).isInstanceOf(AdapterParseException.class);
        assertThat(((AdapterParseException) e).expectedFields()).containsExactly("count");
    }

    /** A reply missing a required output fails with an {@link AdapterParseException} that does not list it as read. */
    @Test
    protected void parseFailsTypedOnAMissingOutput() {
        Adapter adapter = adapter();
        Signature one = Signature.builder().input("question", "str").output("answer", "str").build();
        Signature two = Signature.builder().input("question", "str").output("answer", "str")
                .output("confidence", "float").build();
        String reply = assistantReply(adapter, new Case("one output", one, values("question", "Capital?"),
                values("answer", "Paris")));
        Throwable e = catchParse(two, reply);
        assertThat(e).isInstanceOf(AdapterParseException.class);
        AdapterParseException p = (AdapterParseException) e;
        assertThat(p.expectedFields()).containsExactly("answer", "confidence");
        assertThat(p.parsedFields()).doesNotContain("confidence");
    }

    private Throwable catchParse(Signature sig, String reply) {
        try {
            Map<String, Object> parsed = adapter().parse(sig, reply);
            return fail("expected an AdapterParseException, but parsed " + parsed + " from\n" + reply);
        } catch (AdapterParseException e) {
            return e;
        } catch (RuntimeException e) {
            throw new AssertionError("expected an AdapterParseException, got " + e, e);
        }
    }

    // ------------------------------------------------------------------ fallback

    /** @return one test per round-trip case, run through the adapter's fallback (skipped when it has none) */
    @TestFactory
    protected Stream<DynamicTest> fallbackParsesWhatItFormats() {
        Optional<Adapter> fallback = adapter().fallback();
        assertThat(fallback).as("fallback() never returns null").isNotNull();
        assumeTrue(fallback.isPresent(), "the adapter has a fallback");
        Adapter adapter = fallback.get();
        return roundTripCases().stream()
                .map(c -> DynamicTest.dynamicTest("fallback: " + c.name(), () -> assertRoundTrip(adapter, c)));
    }

    /** Following {@link Adapter#fallback()} from the adapter ends, within a few steps, without a loop. */
    @Test
    protected void fallbackChainEnds() {
        Set<Adapter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Adapter current = adapter();
        seen.add(current);
        for (int step = 0; step < 8; step++) {
            Optional<Adapter> next = current.fallback();
            assertThat(next).as("fallback() never returns null").isNotNull();
            if (next.isEmpty()) {
                return;
            }
            assertThat(seen.add(next.get())).as("the fallback chain loops back to %s", next.get()).isTrue();
            current = next.get();
        }
        fail("the fallback chain of " + adapter() + " does not end within 8 steps");
    }

    // ------------------------------------------------------------------ streaming fields

    /**
     * Feeding a rendered reply through {@link Adapter#streamFields} in pieces of any size reports only output
     * fields, in their order, and each {@code str} field's pieces concatenate to the text {@code parse} reads.
     */
    @Test
    protected void streamFieldsAddUpToWhatParseReads() {
        assumeTrue(supportsStreamingFields(), "the adapter streams fields");
        Adapter adapter = adapter();
        List<Case> cases = new ArrayList<>(roundTripCases());
        cases.add(new Case("two str outputs", Signature.builder().input("question", "str")
                .output("reasoning", "str").output("answer", "str").build(), values("question", "Why?"),
                values("reasoning", "Because the sky\nscatters  blue light, mostly.", "answer", "Rayleigh")));
        for (Case c : cases) {
            String reply = assistantReply(adapter, c);
            Map<String, Object> parsed = adapter.parse(c.signature(), reply);
            List<String> outputs = c.signature().outputFields().stream().map(Field::name).toList();
            for (int size : new int[] {0, 1, 2, 3, 7, reply.length()}) {
                List<String> pieces = size == 0 ? MockLmServer.deltas(reply) : chop(reply, size);
                Map<String, StringBuilder> got = new LinkedHashMap<>();
                Adapter.FieldStream stream = adapter.streamFields(c.signature());
                for (String piece : pieces) {
                    stream.feed(piece, (field, text) -> got.computeIfAbsent(field, f -> new StringBuilder())
                            .append(text));
                }
                String how = c.name() + " in pieces of " + (size == 0 ? "a word" : size + " chars");
                assertThat(outputs).as(how).containsAll(got.keySet());
                assertThat(new ArrayList<>(got.keySet())).as(how + ": fields in output order")
                        .isEqualTo(outputs.stream().filter(got::containsKey).toList());
                for (Field f : c.signature().outputFields()) {
                    if (f.type().isString() && parsed.get(f.name()) instanceof String text && !text.isEmpty()) {
                        assertThat(got.get(f.name())).as(how + ": field " + f.name()).isNotNull();
                        assertThat(got.get(f.name()).toString()).as(how + ": field " + f.name()).isEqualTo(text);
                    }
                }
            }
        }
    }

    /** An adapter that does not stream fields reports nothing from {@link Adapter#streamFields}. */
    @Test
    protected void streamFieldsReportNothingWhenTheAdapterDoesNotStream() {
        assumeFalse(supportsStreamingFields(), "the adapter does not stream fields");
        Adapter adapter = adapter();
        Case c = new Case("two str outputs", Signature.builder().input("question", "str")
                .output("reasoning", "str").output("answer", "str").build(), values("question", "Why?"),
                values("reasoning", "Because.", "answer", "Rayleigh"));
        List<String> reported = new ArrayList<>();
        Adapter.FieldStream stream = adapter.streamFields(c.signature());
        assertThat(stream).isNotNull();
        for (String piece : MockLmServer.deltas(assistantReply(adapter, c))) {
            stream.feed(piece, (field, text) -> reported.add(field));
        }
        assertThat(reported).isEmpty();
    }

    /** Pieces of {@code size} chars, never splitting a surrogate pair (a model streams whole code points). */
    private static List<String> chop(String s, int size) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int end = Math.min(s.length(), i + size);
            if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
                end++;
            }
            out.add(s.substring(i, end));
            i = end;
        }
        return out;
    }
}
