package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.adapter.ChatAdapter;
import io.dspex.adapter.JsonAdapter;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;




class SimulatedModelTest {

    private final SimulatedModel model = new SimulatedModel();
    private final Signature qa = Signature.parse("question -> answer");
    private final Signature cot = Signature.parse("question -> reasoning, answer");

    private Map<String, Object> ask(Signature sig, List<Example> demos, String question) {
        List<Message> prompt = new ChatAdapter().format(sig, demos, Map.of("question", question));
        return new ChatAdapter().parse(sig, model.answer(prompt));
    }

    @Test
    void withoutDemosItAnswersInDigits() {
        assertThat(ask(qa, List.of(), "What is 3 plus 4?")).containsEntry("answer", "7");
        assertThat(ask(qa, List.of(), "What is 12 times 3?")).containsEntry("answer", "36");
        assertThat(ask(qa, List.of(), "What is 56 divided by 8?")).containsEntry("answer", "7");
        assertThat(ask(qa, List.of(), "What is 10 minus 9?")).containsEntry("answer", "1");
    }

    @Test
    void aDemoThatSpellsOutANumberTeachesWordsUpToThatNumber() {
        List<Example> demos = List.of(Example.of(Map.of("question", "What is 2 plus 6?", "answer", "eight")),
                Example.of(Map.of("question", "What is 20 plus 6?", "answer", "26")));
        assertThat(ask(qa, demos, "What is 3 plus 4?")).containsEntry("answer", "seven");
        assertThat(ask(qa, demos, "What is 4 plus 4?")).containsEntry("answer", "eight");
        assertThat(ask(qa, demos, "What is 4 plus 5?")).containsEntry("answer", "9");
        assertThat(ask(qa, demos, "What is 40 plus 5?")).containsEntry("answer", "45");
    }

    @Test
    void demosWithDigitsOnlyTeachNothingNew() {
        List<Example> demos = List.of(Example.of(Map.of("question", "What is 2 plus 6?", "answer", "8")));
        assertThat(ask(qa, demos, "What is 1 plus 1?")).containsEntry("answer", "2");
    }

    @Test
    void chainOfThoughtGetsItsWorkingAsReasoning() {
        Map<String, Object> out = ask(cot, List.of(), "What is 12 times 3?");
        assertThat(out).containsEntry("reasoning", "12 times 3 is 36.").containsEntry("answer", "36");
    }

    @Test
    void anIncompleteDemoStillTeachesItsAnswer() {
        // Labeled demos of a ChainOfThought have no reasoning: the adapter writes "Not supplied ..." for it.
        List<Example> demos = List.of(Example.of(Map.of("question", "What is 9 minus 0?", "answer", "nine")));
        Map<String, Object> out = ask(cot, demos, "What is 6 plus 3?");
        assertThat(out.get("answer")).isEqualTo("nine");
        assertThat((String) out.get("reasoning")).contains("6 plus 3 is 9").contains("up to nine");
    }

    @Test
    void saysItDoesNotKnowWhatItCannotCompute() {
        assertThat(ask(cot, List.of(), "What is the capital of France?"))
                .containsEntry("answer", "I don't know");
        assertThat(ask(qa, List.of(), "What is 7 divided by 2?")).containsEntry("answer", "I don't know");
    }

    @Test
    void answersInJsonWhenTheJsonAdapterAsks() {
        JsonAdapter json = new JsonAdapter();
        String reply = model.answer(json.format(qa, List.of(), Map.of("question", "What is 5 plus 5?")));
        assertThat(json.parse(qa, reply)).containsEntry("answer", "10");
    }

    @Test
    void numberWordsRoundTrip() {
        for (int i = 0; i < 100; i++) {
            assertThat(SimulatedModel.wordsToNumber(SimulatedModel.numberToWords(i))).hasValue(i);
        }
        assertThat(SimulatedModel.numberToWords(42)).isEqualTo("forty-two");
        assertThat(SimulatedModel.wordsToNumber("Not supplied for this particular example.")).isEmpty();
    }
}
