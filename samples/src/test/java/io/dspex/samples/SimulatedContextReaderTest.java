package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatedContextReaderTest {

    private static final List<String> CONTEXT = List.of(
            "The Glass Bridge crosses the River Tamsin and is 86 metres long.",
            "The Harrowmere Clock Tower was designed by Elena Fairweather. It was finished in 1876.",
            "Ferries leave from Harrowmere to Pell every hour.");

    private static Map<String, String> ask(String question) {
        Signature signature = Signature.parse("context, question -> reasoning, answer");
        List<Message> messages = new ChatAdapter().format(signature, List.of(),
                Map.of("context", CONTEXT, "question", question));
        return SimulatedModel.sections(new SimulatedModel().answer(messages));
    }

    @Test
    void readsTheAnswerOutOfTheBestMatchingSentenceOfTheContext() {
        assertThat(ask("When was the Clock Tower finished?").get("answer")).isEqualTo("1876");
        assertThat(ask("How long is the Glass Bridge?").get("answer")).isEqualTo("86 metres");
        assertThat(ask("Who designed the Clock Tower?").get("answer")).isEqualTo("Elena Fairweather");
        assertThat(ask("Where do ferries go from Harrowmere?").get("answer")).isEqualTo("Pell");
        Map<String, String> other = ask("What crosses the River Tamsin?");
        assertThat(other.get("answer")).isEqualTo("The Glass Bridge crosses the River Tamsin and is 86 metres long.");
        assertThat(other.get("reasoning")).isEqualTo("Passage [1] says: \"The Glass Bridge crosses the River Tamsin"
                + " and is 86 metres long.\"");
    }

    @Test
    void saysSoWhenTheContextSharesNoWordWithTheQuestion() {
        Map<String, String> out = ask("What colour are zebras?");
        assertThat(out.get("answer")).isEqualTo("The context does not say.");
        assertThat(out.get("reasoning")).contains("does not answer it");
    }

    @Test
    void withoutAContextTheModelStillDoesArithmetic() {
        List<Message> messages = new ChatAdapter().format(Signature.parse("question -> answer"), List.of(),
                Map.of("question", "What is 12 times 3?"));
        assertThat(SimulatedModel.sections(new SimulatedModel().answer(messages)).get("answer")).isEqualTo("36");
    }
}
