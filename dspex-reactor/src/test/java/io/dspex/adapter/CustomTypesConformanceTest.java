package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.Example;
import io.dspex.internal.Json;
import io.dspex.lm.Message;
import io.dspex.signature.CustomType;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import io.dspex.tool.ToolCalls;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Custom types (DSPy's {@code dspy.Type}) in prompts, compared with what DSPy 3.3.1's own {@code ChatAdapter().format}
 * and {@code JSONAdapter(use_native_function_calling=False).format} produce for the equivalent Python program
 * (fixture {@code custom_types_dspy331.json}): an image as content parts, a list of images (their parts inside doubly
 * quoted JSON, split out again), a user's own type with a description and a record schema, a {@code list[Tool]} input
 * and a {@code ToolCalls} output. The Python side:
 *
 * <pre>
 * class Note(dspy.Type):
 *     text: str
 *     stars: int
 *     def format(self): return f"{self.text} ({self.stars}★)"
 *     @classmethod
 *     def description(cls): return "A short note with a star rating."
 *
 * class Pictures(dspy.Signature):
 *     """Describe the pictures — «vite»."""
 *     question: str = dspy.InputField()
 *     image: dspy.Image = dspy.InputField(desc="the main picture")
 *     images: list[dspy.Image] = dspy.InputField()
 *     note: Note = dspy.InputField()
 *     answer: str = dspy.OutputField()
 *     verdict: Note = dspy.OutputField()
 *
 * def search(query: str, k: int = 3) -> str:
 *     """Search the web.
 *     Returns snippets."""
 * def add(a: int, b: int) -> int: ...
 *
 * class Calls(dspy.Signature):
 *     """Answer with tools."""
 *     question: str = dspy.InputField()
 *     tools: list[dspy.Tool] = dspy.InputField()
 *     answer: str = dspy.OutputField()
 *     calls: dspy.ToolCalls = dspy.OutputField()
 * </pre>
 */
class CustomTypesConformanceTest {

    /** Renders the same content parts as {@code dspy.Image} (a test-only stand-in; the library's Image comes later). */
    public record Image(String url) implements CustomType {
        @Override
        public Object format() {
            return List.of(Map.of("type", "image_url", "image_url", Map.of("url", url)));
        }
    }

    /** A user's own custom type: text, a description, and its record schema for an output. */
    public record Note(String text, int stars) implements CustomType {
        public static String description() {
            return "A short note with a star rating.";
        }

        @Override
        public Object format() {
            return text + " (" + stars + "★)";
        }
    }

    record AddArgs(int a, int b) {
    }

    static final Tool SEARCH = Tool.of("search", "Search the web.\n    Returns snippets.",
            orderedArgs("query", Map.of("type", "string"), "k", orderedMap("type", "integer", "default", 3)),
            args -> Mono.just("snippets"));
    static final Tool ADD = Tool.of("add", null, AddArgs.class, a -> Mono.just(a.a() + a.b()));

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> orderedArgs(Object... kv) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Map<String, Object>) kv[i + 1]);
        }
        return m;
    }

    static Map<String, Object> orderedMap(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static Signature pictures() {
        return Signature.builder()
                .instructions("Describe the pictures — «vite».")
                .input("question", "str")
                .field(Field.input("image", Image.class, "the main picture"))
                .field(Field.input("images", FieldType.parse("list[Image]", Map.of("Image", Image.class))))
                .input("note", Note.class)
                .output("answer", "str")
                .output("verdict", Note.class)
                .build();
    }

    static Map<String, Object> picturesInputs() {
        return Map.of("question", "What is shown? «ü»", "image", new Image("https://example.com/a.png"),
                "images", List.of(new Image("https://example.com/b.png"),
                        new Image("data:image/png;base64,iVBORw0KGgo=")),
                "note", new Note("très bien", 4));
    }

    static List<Example> picturesDemos() {
        return List.of(Example.of(Map.of("question", "Old?", "image", new Image("https://example.com/c.png"),
                "images", List.of(), "note", new Note("ok", 1), "answer", "yes", "verdict", new Note("fine", 2))));
    }

    static Signature calls() {
        return Signature.parse("question, tools: list[Tool] -> answer, calls: ToolCalls", "Answer with tools.");
    }

    static Map<String, Object> callsInputs() {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("question", "What is 1+2? Then search «it».");
        in.put("tools", List.of(SEARCH, ADD));
        return in;
    }

    static List<Example> callsDemos() {
        return List.of(Example.of(Map.of("question", "Add 2 and 2", "tools", List.of(ADD), "answer", "4",
                "calls", ToolCalls.fromDictList(List.of(Map.of("name", "add", "args", orderedMap("a", 2, "b", 2)))))));
    }

    static Map<String, List<Map<String, Object>>> fixtures() throws IOException {
        try (InputStream in = CustomTypesConformanceTest.class.getResourceAsStream("custom_types_dspy331.json")) {
            List<Map<String, Object>> cases = Json.MAPPER.readValue(in, new TypeReference<>() { });
            Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
            for (Map<String, Object> c : cases) {
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> messages = (List<Map<String, Object>>) c.get("messages");
                out.put((String) c.get("case"), messages);
            }
            return out;
        }
    }

    /** Our messages in OpenAI's shape: content as a string, or as a list of parts. */
    static List<Map<String, Object>> wire(List<Message> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("role", m.role().toString());
            if (m.hasParts()) {
                List<Object> parts = new ArrayList<>();
                for (Message.Part p : m.parts()) {
                    if (p instanceof Message.Part.Text t) {
                        parts.add(orderedMap("type", "text", "text", t.text()));
                    } else if (p instanceof Message.Part.ImageUrl i) {
                        parts.add(orderedMap("type", "image_url", "image_url", Map.of("url", i.url())));
                    }
                }
                w.put("content", parts);
            } else {
                w.put("content", m.content());
            }
            out.add(w);
        }
        return out;
    }

    @Test
    void imagesAndAUsersOwnTypeRenderAsDspyRendersThem() throws IOException {
        Map<String, List<Map<String, Object>>> expected = fixtures();
        assertThat(wire(new ChatAdapter().format(pictures(), picturesDemos(), picturesInputs())))
                .isEqualTo(expected.get("pictures/chat"));
        assertThat(wire(new JsonAdapter().withNativeFunctionCalling(false)
                .format(pictures(), picturesDemos(), picturesInputs())))
                .isEqualTo(expected.get("pictures/json"));
    }

    @Test
    void toolsAndToolCallsRenderAsDspyRendersThemWithoutNativeFunctionCalling() throws IOException {
        Map<String, List<Map<String, Object>>> expected = fixtures();
        assertThat(wire(new ChatAdapter().format(calls(), callsDemos(), callsInputs())))
                .isEqualTo(expected.get("calls/chat"));
        assertThat(wire(new JsonAdapter().withNativeFunctionCalling(false)
                .format(calls(), callsDemos(), callsInputs())))
                .isEqualTo(expected.get("calls/json"));
    }

    @Test
    void theStringSyntaxNamesAUsersOwnTypes() {
        Signature s = Signature.parse("note: Note, images: list[Image] -> verdict: Note", null,
                Map.of("Note", Note.class, "Image", Image.class));
        assertThat(s.inputFields().get(0).type().kind()).isEqualTo(FieldType.Kind.CUSTOM);
        assertThat(s.inputFields().get(0).type().typeDescription()).isEqualTo("A short note with a star rating.");
        assertThat(s.inputFields().get(1).type().dspyName()).isEqualTo("list[Image]");
        assertThat(Signature.parse("t: list[dspy.Tool] -> c: dspy.ToolCalls").outputFields().get(0).type()
                .javaClass()).isEqualTo(ToolCalls.class);
        assertThatThrownBy(() -> Signature.parse("note: Note -> answer"))
                .hasMessageStartingWith("unknown type 'Note'").hasMessageContaining("Tool, ToolCalls");
        assertThatThrownBy(() -> Signature.parse("x: Tool[int] -> answer"))
                .hasMessageContaining("takes no type arguments");
    }

    @Test
    void aCustomOutputParsesFromJsonAndARecordSchemaIsShown() {
        Map<String, Object> out = new ChatAdapter().parse(pictures(),
                "[[ ## answer ## ]]\nyes\n\n[[ ## verdict ## ]]\n{\"text\": \"fine\", \"stars\": 2}\n\n"
                        + "[[ ## completed ## ]]");
        assertThat(out).containsEntry("verdict", new Note("fine", 2));
        assertThat(FieldType.of(Note.class).jsonSchema()).isEqualTo("{\"type\": \"object\", \"properties\": "
                + "{\"stars\": {\"type\": \"integer\", \"title\": \"Stars\"}, \"text\": {\"type\": \"string\", "
                + "\"title\": \"Text\"}}, \"required\": [\"text\", \"stars\"], \"title\": \"Note\"}");
        Map<String, Object> calls = new JsonAdapter().withNativeFunctionCalling(false).parse(calls(),
                "{\"answer\": \"3\", \"calls\": {\"tool_calls\": [{\"name\": \"add\", \"args\": "
                        + "{\"a\": 1, \"b\": 2}}]}}");
        assertThat(calls.get("calls")).isEqualTo(ToolCalls.of(List.of(ToolCalls.ToolCall.of("add",
                Map.of("a", 1, "b", 2)))));
    }

    @Test
    void aContentPartOfAnUnsupportedKindIsATypedError() {
        record Audio(String data) implements CustomType {
            @Override
            public Object format() {
                return List.of(Map.of("type", "input_audio", "input_audio", Map.of("data", data)));
            }
        }
        Signature s = Signature.builder().input("clip", Audio.class).output("answer", "str").build();
        assertThatThrownBy(() -> new ChatAdapter().format(s, List.of(), Map.of("clip", new Audio("AAAA"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input_audio");
    }

    @Test
    void textOutsideMarkersAndAnUnparsablePayloadStayText() {
        assertThat(AbstractAdapter.splitParts("a" + CustomType.START + "not json" + CustomType.END + "b"))
                .containsExactly(new Message.Part.Text("a"), new Message.Part.Text("not json"),
                        new Message.Part.Text("b"));
        assertThat(AbstractAdapter.splitParts("only " + CustomType.START + " unterminated"))
                .containsExactly(new Message.Part.Text("only " + CustomType.START + " unterminated"));
    }
}
