package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;




/** The expected file {@code cot_state.json} was written by orjson 3.8.3 exactly as DSPy 3.3's save does. */
class ProgramStateTest {

    @TempDir
    Path dir;

    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static ChainOfThought cot() {
        ChainOfThought cot = ChainOfThought.of("question -> answer");
        Signature sig = cot.predict().signature().withInstructions("Answer questions with short factoid answers.")
                .withUpdatedField("question", f -> f.withDescription("a trivia question"))
                .withUpdatedField("answer", f -> f.withDescription("often between 1 and 5 words"));
        List<Example> demos = List.of(
                Example.of(ordered("augmented", true, "question", "Qué es 2+2? ☃ \"quoted\"\n\ttab \u0001",
                        "reasoning", "2 plus 2 is 4.", "answer", "4")),
                Example.of(ordered("question", "Capital of France?", "answer", "Paris", "score", 0.1, "tiny", 1e-7,
                        "small", 2.5e-5, "big", 1e16, "n", 42, "flag", true, "none", null,
                        "list", Arrays.asList("x", 1.5, List.of()), "map", ordered("k", Map.of(), "v", 1.0))));
        return (ChainOfThought) cot.withNamedPredictors(Map.of("predict", cot.predict().withSignature(sig)
                .withDemos(demos)));
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ProgramStateTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void saveWritesWhatDspyWrites() throws IOException {
        Path file = dir.resolve("cot.json");
        cot().save(file);
        assertThat(Files.readString(file)).isEqualTo(resource("cot_state.json"));
    }

    @Test
    void loadAppliesDemosInstructionsPrefixesAndDescriptionsAndRoundTripsByteForByte() throws IOException {
        Path file = dir.resolve("in.json");
        Files.writeString(file, resource("cot_state.json"));
        ChainOfThought fresh = ChainOfThought.of("question -> answer");
        Program loaded = fresh.load(file);
        assertThat(loaded).isInstanceOf(ChainOfThought.class);
        Predict p = ((ChainOfThought) loaded).predict();
        ChainOfThought expected = cot();
        assertThat(p.signature()).isEqualTo(expected.predict().signature());
        assertThat(p.signature().field("reasoning").orElseThrow().description()).isEmpty();
        assertThat(p.signature().field("reasoning").orElseThrow().prefix())
                .isEqualTo("Reasoning:");
        assertThat(p.demos()).hasSize(2);
        assertThat(new ArrayList<>(p.demos().get(1).keys())).containsExactly("question", "answer", "score", "tiny",
                "small", "big", "n", "flag", "none", "list", "map");
        assertThat(fresh.predict().demos()).isEmpty();
        Path again = dir.resolve("again.json");
        loaded.save(again);
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(file));
        Path third = dir.resolve("third.json");
        loaded.load(again).save(third);
        assertThat(Files.readAllBytes(third)).isEqualTo(Files.readAllBytes(file));
    }

    @Test
    void aBarePredictorIsSavedFlatAsDspySavesIt() throws IOException {
        Path file = dir.resolve("p.json");
        Predict.of("question -> answer").save(file);
        // DSPy 3.3.1's dspy.Predict("question -> answer").save(path): Predict.dump_state is the predictor's own state.
        assertThat(Files.readString(file)).isEqualTo("{\n  \"traces\": [],\n  \"train\": [],\n  \"demos\": [],\n"
                + "  \"signature\": {\n    \"instructions\": \"Given the fields `question`, produce the fields "
                + "`answer`.\",\n    \"fields\": [\n      {\n        \"prefix\": \"Question:\",\n        \"description\": "
                + "\"${question}\"\n      },\n      {\n        \"prefix\": \"Answer:\",\n        \"description\": "
                + "\"${answer}\"\n      }\n    ]\n  },\n  \"lm\": null,\n  \"metadata\": {\n    \"dependency_versions\": "
                + "{\n      \"python\": \"3.11\",\n      \"dspy\": \"3.3.1\",\n      \"cloudpickle\": \"3.1\"\n    }\n  }\n}\n");
        Predict demo = Predict.of("question -> answer").withDemos(List.of(Example.of(Map.of("question", "q",
                "answer", "a"))));
        demo.save(file);
        assertThat(Predict.of("question -> answer").load(file)).isEqualTo(demo);
        // A file that wraps the state under "self" (written by earlier versions of this library) loads too.
        com.fasterxml.jackson.databind.node.ObjectNode state =
                (com.fasterxml.jackson.databind.node.ObjectNode) io.dspex.internal.Json.MAPPER.readTree(file.toFile());
        state.remove("metadata");
        Files.writeString(file, io.dspex.internal.Json.MAPPER.createObjectNode().set("self", state).toString());
        assertThat(Predict.of("question -> answer").load(file)).isEqualTo(demo);
    }

    @Test
    void nestedModulePathsAreTheKeys() throws IOException {
        final class Rag extends Module {
            Rag() {
                register("generate_answer", ChainOfThought.of("context, question -> answer"));
                register("rewrite", Predict.of("question -> query"));
            }

            @Override
            protected Mono<Prediction> run(Example in) {
                return Mono.empty();
            }
        }
        Path file = dir.resolve("rag.json");
        new Rag().save(file);
        String json = Files.readString(file);
        assertThat(json).contains("\n  \"generate_answer.predict\": {").contains("\n  \"rewrite\": {");
        assertThat(json.indexOf("generate_answer.predict")).isLessThan(json.indexOf("\"rewrite\""));
        assertThat(new Rag().load(file)).isInstanceOf(Rag.class);
    }

    @Test
    void floatsAreWrittenAsOrjsonWritesThem() {
        // pairs printed by orjson 3.8.3
        Object[][] cases = {{1.0, "1.0"}, {0.1, "0.1"}, {1e-7, "1e-7"}, {1e16, "1e16"}, {1e15, "1000000000000000.0"},
            {123456789012345678.0, "1.2345678901234568e17"}, {2.5e-5, "0.000025"}, {1e22, "1e22"}, {3.14, "3.14"},
            {-0.0, "-0.0"}, {100.0, "100.0"}, {1.5e300, "1.5e300"}, {0.000123, "0.000123"}, {5e-324, "5e-324"},
            {1.7976931348623157e308, "1.7976931348623157e308"}, {0.3, "0.3"}, {2.0 / 3, "0.6666666666666666"},
            {1e-5, "0.00001"}, {9.5e-5, "0.000095"}, {123456789.0, "123456789.0"}, {1e-6, "1e-6"},
            {1.5e-6, "1.5e-6"}, {Double.NaN, "null"}};
        for (Object[] c : cases) {
            assertThat(ProgramState.pyFloat((Double) c[0])).as("%s", c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void mismatchedOrMalformedFilesNameWhatIsWrong() throws IOException {
        Path file = dir.resolve("cot.json");
        cot().save(file);
        String good = Files.readString(file);
        Program predict = Predict.of("question -> answer");
        assertThatThrownBy(() -> predict.load(file)).isInstanceOf(ProgramStateException.class)
                .hasMessageContaining("no state for predictor(s) [self]")
                .hasMessageContaining("predictor(s) [predict] are not in the program");
        assertThatThrownBy(() -> ChainOfThought.of("question, context -> answer").load(file))
                .isInstanceOf(ProgramStateException.class)
                .hasMessageContaining("predictor 'predict': the file has 3 signature fields")
                .hasMessageContaining("[question, context, reasoning, answer]");
        Files.writeString(file, good.replace("\"description\": \"a trivia question\"", "\"description\": 7"));
        assertThatThrownBy(() -> ChainOfThought.of("question -> answer").load(file))
                .isInstanceOf(ProgramStateException.class)
                .hasMessageContaining("predictor 'predict', field 0 ('question')");
        Files.writeString(file, good.replace("\"demos\": [", "\"demos\": [\n 3,"));
        assertThatThrownBy(() -> ChainOfThought.of("question -> answer").load(file))
                .isInstanceOf(ProgramStateException.class).hasMessageContaining("predictor 'predict', demo 0");
        Files.writeString(file, good.substring(0, 200));
        assertThatThrownBy(() -> ChainOfThought.of("question -> answer").load(file))
                .isInstanceOf(ProgramStateException.class).hasMessageContaining("is not valid JSON");
        Files.writeString(file, good.replace("\"instructions\": ", "\"instructionz\": "));
        assertThatThrownBy(() -> ChainOfThought.of("question -> answer").load(file))
                .isInstanceOf(ProgramStateException.class)
                .hasMessageContaining("predictor 'predict', signature: missing 'instructions'");
        assertThatThrownBy(() -> predict.load(dir.resolve("absent.json")))
                .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining("absent.json");
    }
}
