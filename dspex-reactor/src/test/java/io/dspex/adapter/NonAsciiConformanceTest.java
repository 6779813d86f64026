package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonValue;
import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.internal.PyFormat;
import io.dspex.lm.Message;
import io.dspex.predict.Predict;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * Non-ASCII characters in every place a value is written into a prompt or a saved state, compared with what DSPy
 * 3.3.1 writes. DSPy passes {@code ensure_ascii=False} to every {@code json.dumps} of its adapters (values in user
 * turns, JSON replies of demos, the JSON schema in type notes, the JSONAdapter's output structure) and saves state
 * with orjson, which never escapes non-ASCII; so no {@code \\u} escape appears anywhere below.
 *
 * <p>The expected strings were produced by DSPy 3.3.1's own {@code ChatAdapter().format},
 * {@code JSONAdapter().format} and {@code Module.save} (Python 3.11, pydantic 2.13) for the equivalent Python
 * program:
 *
 * <pre>
 * class Humeur(enum.Enum):
 *     RAVI = "très content"
 *     TRISTE = "triste"
 *
 * class Ville(pydantic.BaseModel):
 *     nom: str
 *     année: Optional[int] = None
 *
 * class Sig(dspy.Signature):
 *     """Réponds en français ✓ — « court »."""
 *     question: str = dspy.InputField(desc="la question posée — en français")
 *     ville: Ville = dspy.InputField()
 *     réponse: str = dspy.OutputField(desc="réponse ✓")
 *     accord: Literal["oui ✓", "non"] = dspy.OutputField()
 *     humeur: Humeur = dspy.OutputField()
 *     lieux: list[Ville] = dspy.OutputField()
 * </pre>
 */
class NonAsciiConformanceTest {

    enum Humeur {
        RAVI("très content"), TRISTE("triste");

        private final String value;

        Humeur(String value) {
            this.value = value;
        }

        @JsonValue
        String value() {
            return value;
        }
    }

    record Ville(String nom, Optional<Integer> année) {
    }

    /** A module holding one predictor named {@code answer}, as {@code self.answer = dspy.Predict(Sig)}. */
    static final class Answerer extends Module {
        Answerer(Predict answer) {
            register("answer", answer);
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("answer").forward(in);
        }
    }

    @TempDir
    Path dir;

    List<Ville> lieux;

    static Type listOfVille() {
        try {
            return NonAsciiConformanceTest.class.getDeclaredField("lieux").getGenericType();
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
    }

    static Signature signature() {
        return Signature.builder().instructions("Réponds en français ✓ — « court ».")
                .input("question", "str", "la question posée — en français").input("ville", Ville.class)
                .output("réponse", "str", "réponse ✓").output("accord", "Literal['oui ✓', 'non']")
                .output("humeur", Humeur.class).output("lieux", listOfVille()).build();
    }

    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A complete demo (records, an enum, a Literal, a list of records) and an incomplete one (a non-BMP emoji). */
    static List<Example> demos() {
        return List.of(
                Example.of(ordered("question", "Où est Zürich ?", "ville", new Ville("Zürich", Optional.of(1218)),
                        "réponse", "en Suisse ✓", "accord", "oui ✓", "humeur", Humeur.RAVI,
                        "lieux", List.of(new Ville("Genève", Optional.empty())))),
                Example.of(ordered("question", "Et l’emoji ?", "réponse", "emoji 😀 ✓")));
    }

    static Map<String, Object> inputs() {
        return ordered("question", "Qu’est-ce que « ça » ?", "ville", new Ville("Bâle", Optional.of(1900)));
    }

    @Test
    void chatAdapterKeepsNonAsciiEverywhereAsDspyDoes() {
        assertThat(new ChatAdapter().format(signature(), demos(), inputs())).containsExactly(
                Message.system("Your input fields are:\n1. `question` (str): la question posée — en français\n"
                        + "2. `ville` (Ville):\nYour output fields are:\n1. `réponse` (str): réponse ✓\n"
                        + "2. `accord` (Literal['oui ✓', 'non']): \n3. `humeur` (Humeur): \n"
                        + "4. `lieux` (list[Ville]):\n"
                        + "All interactions will be structured in the following way, with the appropriate values "
                        + "filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## ville ## ]]\n{ville}\n\n"
                        + "[[ ## réponse ## ]]\n{réponse}\n\n[[ ## accord ## ]]\n"
                        + "{accord}        # note: the value you produce must exactly match (no extra characters) "
                        + "one of: oui ✓; non\n\n[[ ## humeur ## ]]\n"
                        + "{humeur}        # note: the value you produce must be one of: très content; triste\n\n"
                        + "[[ ## lieux ## ]]\n"
                        + "{lieux}        # note: the value you produce must adhere to the JSON schema: {\"type\": "
                        + "\"array\", \"$defs\": {\"Ville\": {\"type\": \"object\", \"properties\": {\"année\": "
                        + "{\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}], \"default\": null, "
                        + "\"title\": \"Année\"}, \"nom\": {\"type\": \"string\", \"title\": \"Nom\"}}, "
                        + "\"required\": [\"nom\"], \"title\": \"Ville\"}}, \"items\": {\"$ref\": "
                        + "\"#/$defs/Ville\"}}\n\n[[ ## completed ## ]]\n"
                        + "In adhering to this structure, your objective is: \n"
                        + "        Réponds en français ✓ — « court »."),
                Message.user("This is an example of the task, though some input or output fields are not supplied.\n\n"
                        + "[[ ## question ## ]]\nEt l’emoji ?"),
                Message.assistant("[[ ## réponse ## ]]\nemoji 😀 ✓\n\n[[ ## accord ## ]]\n"
                        + "Not supplied for this particular example. \n\n[[ ## humeur ## ]]\n"
                        + "Not supplied for this particular example. \n\n[[ ## lieux ## ]]\n"
                        + "Not supplied for this particular example.\n\n[[ ## completed ## ]]\n"),
                Message.user("[[ ## question ## ]]\nOù est Zürich ?\n\n[[ ## ville ## ]]\n"
                        + "{\"nom\": \"Zürich\", \"année\": 1218}"),
                Message.assistant("[[ ## réponse ## ]]\nen Suisse ✓\n\n[[ ## accord ## ]]\noui ✓\n\n"
                        + "[[ ## humeur ## ]]\n"
                        + "très content\n\n[[ ## lieux ## ]]\n[{\"nom\": \"Genève\", \"année\": null}]\n\n"
                        + "[[ ## completed ## ]]\n"),
                Message.user("[[ ## question ## ]]\nQu’est-ce que « ça » ?\n\n[[ ## ville ## ]]\n"
                        + "{\"nom\": \"Bâle\", \"année\": 1900}\n\n"
                        + "Respond with the corresponding output fields, starting with the field `[[ ## réponse ## "
                        + "]]`, then `[[ ## accord ## ]]` (must be formatted as a valid Python Literal['oui ✓', "
                        + "'non']), then `[[ ## humeur ## ]]` (must be formatted as a valid Python Humeur), then `[[ "
                        + "## lieux ## ]]` (must be formatted as a valid Python list[Ville]), and then ending with "
                        + "the marker for `[[ ## completed ## ]]`."));
    }

    @Test
    void jsonAdapterKeepsNonAsciiInDemoRepliesAndTheOutputStructureAsDspyDoes() {
        assertThat(new JsonAdapter().format(signature(), demos(), inputs())).containsExactly(
                Message.system("Your input fields are:\n1. `question` (str): la question posée — en français\n"
                        + "2. `ville` (Ville):\nYour output fields are:\n1. `réponse` (str): réponse ✓\n"
                        + "2. `accord` (Literal['oui ✓', 'non']): \n3. `humeur` (Humeur): \n"
                        + "4. `lieux` (list[Ville]):\n"
                        + "All interactions will be structured in the following way, with the appropriate values "
                        + "filled in.\n\nInputs will have the following structure:\n\n[[ ## question ## ]]\n"
                        + "{question}\n\n[[ ## ville ## ]]\n{ville}\n\n"
                        + "Outputs will be a JSON object with the following fields.\n\n{\n"
                        + "  \"réponse\": \"{réponse}\",\n"
                        + "  \"accord\": \"{accord}        # note: the value you produce must exactly match (no "
                        + "extra characters) one of: oui ✓; non\",\n"
                        + "  \"humeur\": \"{humeur}        # note: the value you produce must be one of: très "
                        + "content; triste\",\n"
                        + "  \"lieux\": \"{lieux}        # note: the value you produce must adhere to the JSON "
                        + "schema: {\\\"type\\\": \\\"array\\\", \\\"$defs\\\": {\\\"Ville\\\": {\\\"type\\\": "
                        + "\\\"object\\\", \\\"properties\\\": {\\\"année\\\": {\\\"anyOf\\\": [{\\\"type\\\": "
                        + "\\\"integer\\\"}, {\\\"type\\\": \\\"null\\\"}], \\\"default\\\": null, \\\"title\\\": "
                        + "\\\"Année\\\"}, \\\"nom\\\": {\\\"type\\\": \\\"string\\\", \\\"title\\\": \\\"Nom\\\"}}, "
                        + "\\\"required\\\": [\\\"nom\\\"], \\\"title\\\": \\\"Ville\\\"}}, \\\"items\\\": "
                        + "{\\\"$ref\\\": \\\"#/$defs/Ville\\\"}}\"\n}\n"
                        + "In adhering to this structure, your objective is: \n"
                        + "        Réponds en français ✓ — « court »."),
                Message.user("This is an example of the task, though some input or output fields are not supplied.\n\n"
                        + "[[ ## question ## ]]\nEt l’emoji ?"),
                Message.assistant("{\n  \"réponse\": \"emoji 😀 ✓\",\n"
                        + "  \"accord\": \"Not supplied for this particular example. \",\n"
                        + "  \"humeur\": \"Not supplied for this particular example. \",\n"
                        + "  \"lieux\": \"Not supplied for this particular example. \"\n}"),
                Message.user("[[ ## question ## ]]\nOù est Zürich ?\n\n[[ ## ville ## ]]\n"
                        + "{\"nom\": \"Zürich\", \"année\": 1218}"),
                Message.assistant("{\n  \"réponse\": \"en Suisse ✓\",\n  \"accord\": \"oui ✓\",\n"
                        + "  \"humeur\": \"très content\",\n  \"lieux\": [\n    {\n      \"nom\": \"Genève\",\n"
                        + "      \"année\": null\n    }\n  ]\n}"),
                Message.user("[[ ## question ## ]]\nQu’est-ce que « ça » ?\n\n[[ ## ville ## ]]\n"
                        + "{\"nom\": \"Bâle\", \"année\": 1900}\n\n"
                        + "Respond with a JSON object in the following order of fields: `réponse`, then `accord` "
                        + "(must be formatted as a valid Python Literal['oui ✓', 'non']), then `humeur` (must be "
                        + "formatted as a valid Python Humeur), then `lieux` (must be formatted as a valid Python "
                        + "list[Ville])."));
    }

    /**
     * DSPy's {@code Module.save} writes orjson bytes. The metadata block holds the versions this library records
     * (DSPy 3.3.1, cloudpickle 3.1), not those of the environment that produced the rest of the file.
     */
    @Test
    void savedStateKeepsNonAsciiAsDspyDoes() throws IOException {
        Path file = dir.resolve("answerer.json");
        new Answerer(Predict.of(signature()).withDemos(demos())).save(file);
        String expected = "{\n  \"answer\": {\n    \"traces\": [],\n    \"train\": [],\n    \"demos\": [\n      {\n"
                + "        \"question\": \"Où est Zürich ?\",\n        \"ville\": {\n          \"nom\": \"Zürich\",\n"
                + "          \"année\": 1218\n        },\n        \"réponse\": \"en Suisse ✓\",\n"
                + "        \"accord\": \"oui ✓\",\n        \"humeur\": \"très content\",\n        \"lieux\": [\n"
                + "          {\n            \"nom\": \"Genève\",\n            \"année\": null\n          }\n"
                + "        ]\n      },\n      {\n        \"question\": \"Et l’emoji ?\",\n"
                + "        \"réponse\": \"emoji 😀 ✓\"\n      }\n    ],\n    \"signature\": {\n"
                + "      \"instructions\": \"Réponds en français ✓ — « court ».\",\n      \"fields\": [\n        {\n"
                + "          \"prefix\": \"Question:\",\n"
                + "          \"description\": \"la question posée — en français\"\n        },\n        {\n"
                + "          \"prefix\": \"Ville:\",\n          \"description\": \"${ville}\"\n        },\n"
                + "        {\n          \"prefix\": \"Réponse:\",\n          \"description\": \"réponse ✓\"\n"
                + "        },\n        {\n          \"prefix\": \"Accord:\",\n"
                + "          \"description\": \"${accord}\"\n        },\n        {\n"
                + "          \"prefix\": \"Humeur:\",\n          \"description\": \"${humeur}\"\n        },\n"
                + "        {\n          \"prefix\": \"Lieux:\",\n          \"description\": \"${lieux}\"\n        }\n"
                + "      ]\n    },\n    \"lm\": null\n  },\n  \"metadata\": {\n    \"dependency_versions\": {\n"
                + "      \"python\": \"3.11\",\n      \"dspy\": \"3.3.1\",\n      \"cloudpickle\": \"3.1\"\n    }\n"
                + "  }\n}\n";
        assertThat(Files.readString(file)).isEqualTo(expected);
    }

    /**
     * Python's {@code str()} of a list (used when a {@code str} output receives a JSON array, and in messages)
     * shows printable non-ASCII characters as they are and escapes the others, as {@code repr} does.
     */
    @Test
    void reprKeepsPrintableNonAsciiAndEscapesTheRest() {
        List<String> values = List.of("é\u00a0x", "zero\u200bwidth", "😀", "\uDB40\uDC01", "\uD800", "\u0085\u00ad",
                "\u2028", "l’été « ok »", "\u3000");
        String expected = "['é\\xa0x', 'zero\\u200bwidth', '😀', '\\U000e0001', '\\ud800', '\\x85\\xad', '\\u2028', "
                + "'l’été « ok »', '\\u3000']";
        assertThat(PyFormat.str(values)).isEqualTo(expected);
    }
}
