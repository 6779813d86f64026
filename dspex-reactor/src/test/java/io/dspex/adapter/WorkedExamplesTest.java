package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.Example;
import io.dspex.internal.Json;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;




/** The worked examples C1, C2, C4 and J2 of DSPY_FORMAT.md (from DSPy's own test suite), compared exactly. */
class WorkedExamplesTest {

    static List<Message> expected(String... jsonLines) throws Exception {
        List<Message> out = new ArrayList<>();
        for (String line : jsonLines) {
            JsonNode n = Json.MAPPER.readTree(line);
            out.add(new Message(Message.Role.of(n.get("role").asText()), n.get("content").asText()));
        }
        return out;
    }

    @Test
    void c1SimpleSignature() throws Exception {
        Signature sig = Signature.parse("question -> answer", "Answer the question.");
        List<Message> got = new ChatAdapter().format(sig, List.of(),
                Map.of("question", "What is the capital of France?"));
        assertThat(got).containsExactlyElementsOf(expected(
                "{\"role\": \"system\", \"content\": \"Your input fields are:\\n1. `question` (str):\\nYour output fields are:\\n1. `answer` (str):\\nAll interactions will be structured in the following way, with the appropriate values filled in.\\n\\n[[ ## question ## ]]\\n{question}\\n\\n[[ ## answer ## ]]\\n{answer}\\n\\n[[ ## completed ## ]]\\nIn adhering to this structure, your objective is: \\n        Answer the question.\"}",
                "{\"role\": \"user\", \"content\": \"[[ ## question ## ]]\\nWhat is the capital of France?\\n\\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.\"}"));
    }

    @Test
    void c2DemoAndTypedOutputs() throws Exception {
        Signature sig = Signature.parse("question: str -> answers: list[str], scores: list[float]",
                "Answer the question with multiple answers and scores");
        Example demo = Example.of(Map.of("question", "Q1", "answers", List.of("A1", "A2"), "scores",
                List.of(0.1, 0.9)));
        List<Message> got = new ChatAdapter().format(sig, List.of(demo), Map.of("question", "Q2"));
        assertThat(got).containsExactlyElementsOf(expected(
                "{\"role\": \"system\", \"content\": \"Your input fields are:\\n1. `question` (str):\\nYour output fields are:\\n1. `answers` (list[str]): \\n2. `scores` (list[float]):\\nAll interactions will be structured in the following way, with the appropriate values filled in.\\n\\n[[ ## question ## ]]\\n{question}\\n\\n[[ ## answers ## ]]\\n{answers}        # note: the value you produce must adhere to the JSON schema: {\\\"type\\\": \\\"array\\\", \\\"items\\\": {\\\"type\\\": \\\"string\\\"}}\\n\\n[[ ## scores ## ]]\\n{scores}        # note: the value you produce must adhere to the JSON schema: {\\\"type\\\": \\\"array\\\", \\\"items\\\": {\\\"type\\\": \\\"number\\\"}}\\n\\n[[ ## completed ## ]]\\nIn adhering to this structure, your objective is: \\n        Answer the question with multiple answers and scores\"}",
                "{\"role\": \"user\", \"content\": \"[[ ## question ## ]]\\nQ1\"}",
                "{\"role\": \"assistant\", \"content\": \"[[ ## answers ## ]]\\n[\\\"A1\\\", \\\"A2\\\"]\\n\\n[[ ## scores ## ]]\\n[0.1, 0.9]\\n\\n[[ ## completed ## ]]\\n\"}",
                "{\"role\": \"user\", \"content\": \"[[ ## question ## ]]\\nQ2\\n\\nRespond with the corresponding output fields, starting with the field `[[ ## answers ## ]]` (must be formatted as a valid Python list[str]), then `[[ ## scores ## ]]` (must be formatted as a valid Python list[float]), and then ending with the marker for `[[ ## completed ## ]]`.\"}"));
    }

    @Test
    void c4IncompleteDemo() throws Exception {
        Signature sig = Signature.parse("question: str, context: str -> answer: str, confidence: float");
        assertThat(sig.instructions())
                .isEqualTo("Given the fields `question`, `context`, produce the fields `answer`, `confidence`.");
        Example demo = Example.of(Map.of("question", "Q1", "answer", "A1"));
        List<Message> got = new ChatAdapter().format(sig, List.of(demo), Map.of("question", "Q2", "context", "C2"));
        assertThat(got).containsExactlyElementsOf(expected(
                "{\"role\": \"system\", \"content\": \"Your input fields are:\\n1. `question` (str): \\n2. `context` (str):\\nYour output fields are:\\n1. `answer` (str): \\n2. `confidence` (float):\\nAll interactions will be structured in the following way, with the appropriate values filled in.\\n\\n[[ ## question ## ]]\\n{question}\\n\\n[[ ## context ## ]]\\n{context}\\n\\n[[ ## answer ## ]]\\n{answer}\\n\\n[[ ## confidence ## ]]\\n{confidence}        # note: the value you produce must be a single float value\\n\\n[[ ## completed ## ]]\\nIn adhering to this structure, your objective is: \\n        Given the fields `question`, `context`, produce the fields `answer`, `confidence`.\"}",
                "{\"role\": \"user\", \"content\": \"This is an example of the task, though some input or output fields are not supplied.\\n\\n[[ ## question ## ]]\\nQ1\"}",
                "{\"role\": \"assistant\", \"content\": \"[[ ## answer ## ]]\\nA1\\n\\n[[ ## confidence ## ]]\\nNot supplied for this particular example.\\n\\n[[ ## completed ## ]]\\n\"}",
                "{\"role\": \"user\", \"content\": \"[[ ## question ## ]]\\nQ2\\n\\n[[ ## context ## ]]\\nC2\\n\\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, then `[[ ## confidence ## ]]` (must be formatted as a valid Python float), and then ending with the marker for `[[ ## completed ## ]]`.\"}"));
    }

    @Test
    void j2JsonAdapterDemoAndTypedOutput() throws Exception {
        Signature sig = Signature.parse("question: str -> answer: str, confidence: float");
        Example demo = Example.of(Map.of("question", "Q1", "answer", "A1", "confidence", 0.9));
        List<Message> got = new JsonAdapter().format(sig, List.of(demo), Map.of("question", "Q2"));
        assertThat(got).containsExactlyElementsOf(expected(
                "{\"role\": \"system\", \"content\": \"Your input fields are:\\n1. `question` (str):\\nYour output fields are:\\n1. `answer` (str): \\n2. `confidence` (float):\\nAll interactions will be structured in the following way, with the appropriate values filled in.\\n\\nInputs will have the following structure:\\n\\n[[ ## question ## ]]\\n{question}\\n\\nOutputs will be a JSON object with the following fields.\\n\\n{\\n  \\\"answer\\\": \\\"{answer}\\\",\\n  \\\"confidence\\\": \\\"{confidence}        # note: the value you produce must be a single float value\\\"\\n}\\nIn adhering to this structure, your objective is: \\n        Given the fields `question`, produce the fields `answer`, `confidence`.\"}",
                "{\"role\": \"user\", \"content\": \"[[ ## question ## ]]\\nQ1\"}",
                "{\"role\": \"assistant\", \"content\": \"{\\n  \\\"answer\\\": \\\"A1\\\",\\n  \\\"confidence\\\": 0.9\\n}\"}",
                "{\"role\": \"user\", \"content\": \"[[ ## question ## ]]\\nQ2\\n\\nRespond with a JSON object in the following order of fields: `answer`, then `confidence` (must be formatted as a valid Python float).\"}"));
    }
}
