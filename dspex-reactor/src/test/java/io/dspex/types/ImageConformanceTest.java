package io.dspex.types;

import static io.dspex.types.Dspy331Fixtures.PNG;
import static io.dspex.types.Dspy331Fixtures.messages;
import static io.dspex.types.Dspy331Fixtures.ordered;
import static io.dspex.types.Dspy331Fixtures.wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.adapter.ChatAdapter;
import io.dspex.adapter.JsonAdapter;
import io.dspex.signature.CustomType;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Image} in prompts, compared with what DSPy 3.3.1's {@code ChatAdapter().format} and
 * {@code JSONAdapter().format} produce for the same Python program ({@code dspy331/gen_types.py}, fixture
 * {@code types_dspy331.json}): an image input from a file, a list of images from a URL and from bytes, an image in a
 * demo and as an output (its schema, and DSPy's marker text in the demo's assistant message); and DSPy's
 * {@code repr}. The Python side:
 *
 * <pre>
 * class Pictures(dspy.Signature):
 *     """Compare the pictures."""
 *     photo: dspy.Image = dspy.InputField(desc="the photo")
 *     gallery: list[dspy.Image] = dspy.InputField()
 *     question: str = dspy.InputField()
 *     answer: str = dspy.OutputField()
 *     best: dspy.Image = dspy.OutputField(desc="the best picture")
 *
 * inputs = dict(photo=dspy.Image.from_path(PIC), gallery=[dspy.Image("https://example.com/g1.jpg"),
 *               dspy.Image("data:image/png;base64," + base64.b64encode(PNG).decode())], question="Which is best?")
 * demos = [dict(photo=dspy.Image("https://example.com/old.png"), gallery=[], question="Best?", answer="the old one",
 *               best=dspy.Image("https://example.com/old.png"))]
 * </pre>
 */
class ImageConformanceTest {

    @TempDir
    Path dir;

    static Signature pictures() {
        return Signature.builder()
                .instructions("Compare the pictures.")
                .field(Field.input("photo", Image.class, "the photo"))
                .field(Field.input("gallery", FieldType.parse("list[Image]")))
                .input("question", "str")
                .output("answer", "str")
                .field(Field.output("best", Image.class, "the best picture"))
                .build();
    }

    Map<String, Object> inputs() throws IOException {
        return ordered("photo", Image.fromPath(Dspy331Fixtures.pic(dir)),
                "gallery", List.of(Image.fromUrl("https://example.com/g1.jpg"), Image.fromBytes(PNG, "image/png")),
                "question", "Which is best?");
    }

    static List<Example> demos() {
        Image old = Image.fromUrl("https://example.com/old.png");
        return List.of(Example.of(ordered("photo", old, "gallery", List.of(), "question", "Best?",
                "answer", "the old one", "best", old)));
    }

    @Test
    void imagesRenderAsDspyRendersThemInBothAdapters() throws IOException {
        assertThat(wire(new ChatAdapter().format(pictures(), demos(), inputs()))).isEqualTo(messages("pictures/chat"));
        assertThat(wire(new JsonAdapter().format(pictures(), demos(), inputs()))).isEqualTo(messages("pictures/json"));
    }

    @Test
    void theStringSyntaxNamesImageWithoutRegistration() {
        Signature s = Signature.parse("photo: Image, album: list[dspy.Image] -> best: Image");
        assertThat(s.inputFields().get(0).type().javaClass()).isEqualTo(Image.class);
        assertThat(s.inputFields().get(0).type().kind()).isEqualTo(FieldType.Kind.CUSTOM);
        assertThat(s.inputFields().get(1).type().dspyName()).isEqualTo("list[Image]");
        assertThatThrownBy(() -> Signature.parse("x: Picture -> y"))
                .hasMessageContaining("History, Image, Tool, ToolCalls");
    }

    @Test
    void theFactoriesMakeUrlsAndDataUris() throws IOException {
        String base64 = "iVBORw0KGgoAAAANSUhEUg==";
        assertThat(Image.fromUrl("  https://example.com/a.png ").url()).isEqualTo("https://example.com/a.png");
        assertThat(Image.fromUrl("gs://bucket/a.png").url()).isEqualTo("gs://bucket/a.png");
        assertThat(Image.fromUrl("HTTP://Example.com").url()).isEqualTo("HTTP://Example.com");
        assertThat(Image.fromUrl("data:image/png;base64,AAAA").url()).isEqualTo("data:image/png;base64,AAAA");
        assertThat(Image.fromBytes(PNG, " Image/PNG").url()).isEqualTo("data:image/png;base64," + base64);
        assertThat(Image.fromBytes(PNG, "image/webp").url()).startsWith("data:image/webp;base64,");
        Path jpeg = Files.write(dir.resolve("photo.JPG"), PNG);
        assertThat(Image.fromPath(jpeg).url()).isEqualTo("data:image/jpeg;base64," + base64);
        Path svg = Files.write(dir.resolve("logo.svg"), "<svg/>".getBytes());
        assertThat(Image.fromPath(svg).url()).isEqualTo("data:image/svg+xml;base64,PHN2Zy8+");
        assertThat(Image.fromPath(Dspy331Fixtures.pic(dir)).format())
                .isEqualTo(List.of(Map.of("type", "image_url", "image_url", Map.of("url", "data:image/png;base64,"
                        + base64))));
        assertThat(Image.fromUrl("https://example.com/a.png").serialize()).isEqualTo(CustomType.START
                + "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"https://example.com/a.png\"}}]"
                + CustomType.END);
    }

    @Test
    void aBadUrlAnUnknownMimeTypeAndAnUnreadablePathAreTypedErrors() throws IOException {
        for (String bad : List.of("ftp://example.com/a.png", "https:/a.png", "https://", "example.com/a.png",
                "cat.png", "", "1http://x.com")) {
            assertThatThrownBy(() -> Image.fromUrl(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Unrecognized image string: '" + bad.strip() + "'");
        }
        assertThatThrownBy(() -> Image.fromUrl(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Image.fromBytes(PNG, "text/plain")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown image MIME type 'text/plain' (known: [")
                .hasMessageContaining("image/png");
        assertThatThrownBy(() -> Image.fromBytes(new byte[0], "image/png"))
                .hasMessage("Image bytes must not be empty");
        Path notes = Files.write(dir.resolve("notes.txt"), PNG);
        assertThatThrownBy(() -> Image.fromPath(notes)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Could not determine MIME type for file: " + notes + " (extension 'txt';");
        Path noExtension = Files.write(dir.resolve(".png"), PNG);
        assertThatThrownBy(() -> Image.fromPath(noExtension)).hasMessageContaining("(extension '';");
        Path missing = dir.resolve("missing.png");
        assertThatThrownBy(() -> Image.fromPath(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("File not found: " + missing);
        assertThatThrownBy(() -> Image.fromPath(dir)).hasMessage("File not found: " + dir);
        Path locked = Files.write(dir.resolve("locked.png"), PNG);
        if (locked.toFile().setReadable(false) && !Files.isReadable(locked)) {
            assertThatThrownBy(() -> Image.fromPath(locked)).isInstanceOf(UncheckedIOException.class)
                    .hasMessageStartingWith("cannot read image file " + locked);
        }
    }

    @Test
    void reprIsDspysAndNeverHoldsTheData() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> repr = (Map<String, Object>) Dspy331Fixtures.all().get("repr");
        assertThat(Image.fromUrl("https://example.com/a.png")).hasToString((String) repr.get("url"));
        assertThat(Image.fromPath(Dspy331Fixtures.pic(dir))).hasToString((String) repr.get("data"));
    }

    @Test
    void anImageOutputParsesFromJsonAUrlOrDspysMarkerText() {
        Image expected = Image.fromUrl("https://example.com/best.png");
        assertThat(new ChatAdapter().parse(pictures(), "[[ ## answer ## ]]\nthis one\n\n[[ ## best ## ]]\n"
                + "{\"url\": \"https://example.com/best.png\"}\n\n[[ ## completed ## ]]")).containsEntry("best", expected);
        assertThat(new JsonAdapter().parse(pictures(), "{\"answer\": \"this one\", \"best\": "
                + "\"https://example.com/best.png\"}")).containsEntry("best", expected);
        assertThat(Image.validate(expected.serialize())).isEqualTo(expected);
        assertThat(Image.validate(Map.of("url", "https://example.com/best.png"))).isEqualTo(expected);
        assertThatThrownBy(() -> Image.validate(Map.of("url", "https://example.com/a.png", "detail", "high")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("an Image is {\"url\": \"...\"}");
        assertThatThrownBy(() -> Image.validate(42)).hasMessageStartingWith("an Image is a URL");
        assertThatThrownBy(() -> Image.validate(CustomType.START + "[{\"type\": \"text\", \"text\": \"x\"}]"
                + CustomType.END)).hasMessageStartingWith("an Image's marker text holds one image_url part");
        assertThat(FieldType.of(Image.class).jsonSchema()).isEqualTo("{\"type\": \"object\", \"additionalProperties\": "
                + "false, \"properties\": {\"url\": {\"type\": \"string\", \"title\": \"Url\"}}, \"required\": "
                + "[\"url\"], \"title\": \"Image\"}");
    }
}
