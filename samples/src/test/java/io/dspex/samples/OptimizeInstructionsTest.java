package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizeInstructionsTest {

    @Test
    void zeroShotMiproV2FindsTheHouseStyleAndTheScoreRises() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Provider provider = Provider.simulated()) {
            Samples.run("optimize-instructions", List.of(), out, provider);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("Before optimization: 60.0% on the dev set")
                .contains("Chosen instruction: Answer the arithmetic question. Write numbers from zero to nine in "
                        + "words and larger numbers in digits.")
                .contains("Score on the dev set: 60.0% -> 100.0%");
    }

    private final SimulatedModel model = new SimulatedModel();

    private Map<String, Object> ask(String instructions, String question) {
        Signature sig = Signature.parse("question -> answer", instructions);
        List<Message> prompt = new ChatAdapter().format(sig, List.of(), Map.of("question", question));
        return new ChatAdapter().parse(sig, model.answer(prompt));
    }

    @Test
    void theTaskModelFollowsOnlyInstructionsThatAskForWords() {
        assertThat(ask("Answer the arithmetic question.", "What is 3 plus 4?")).containsEntry("answer", "7");
        assertThat(ask("Write small numbers in words.", "What is 3 plus 4?")).containsEntry("answer", "seven");
        assertThat(ask("Write small numbers in words.", "What is 30 plus 4?")).containsEntry("answer", "34");
        // the rule reads the instructions only, not the field names or the question
        assertThat(ask("Answer.", "What is 3 plus 4? Reply in words.")).containsEntry("answer", "7");
    }

    @Test
    void theProposerNoticesTheHouseStyleOnlyWhenTheExamplesShowIt() {
        Signature descriptor = Signature.builder()
                .instructions("Given several examples from a dataset please write observations about trends.")
                .input("examples", "str", "Sample data points from the dataset")
                .output("observations", "str").build();
        String mixed = "[Example({'question': 'What is 1 plus 1?', 'answer': 'two'}) (input_keys={'question'}), "
                + "Example({'question': 'What is 10 plus 1?', 'answer': '11'}) (input_keys={'question'})]";
        String digits = "[Example({'question': 'What is 10 plus 1?', 'answer': '11'}) (input_keys={'question'})]";
        ChatAdapter chat = new ChatAdapter();
        assertThat(chat.parse(descriptor, model.answer(chat.format(descriptor, List.of(), Map.of("examples", mixed)))))
                .containsEntry("observations", SimulatedProposerModel.WORDS_OBSERVATION);
        assertThat(chat.parse(descriptor, model.answer(chat.format(descriptor, List.of(), Map.of("examples", digits)))))
                .containsEntry("observations", "The examples are arithmetic questions with numeric answers.");
        // a prompt that is not one of DSPy's proposer prompts goes to the task model as before
        Signature other = Signature.builder().instructions("Describe.").input("question", "str")
                .output("summary", "str").build();
        List<Message> prompt = chat.format(other, List.of(), Map.of("question", "What is 2 plus 2?"));
        assertThat(chat.parse(other, model.answer(prompt))).containsEntry("summary", "4");
    }
}
