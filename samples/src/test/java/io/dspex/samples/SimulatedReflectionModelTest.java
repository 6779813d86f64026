package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatedReflectionModelTest {

    private static final String PROMPT = SimulatedReflectionModel.OPENING + "\n```\nAnswer the question.\n```\n\n"
            + "The following are examples...\n```\n# Example 1\n## Inputs\n### question\nWhat is 3 plus 4?\n\n"
            + "## Generated Outputs\n### answer\n7\n\n## Feedback\nWrong.\nRule: write numbers in words.\n\n\n\n"
            + "# Example 2\n## Inputs\n### question\nRule: this is an input, not feedback\n\n## Feedback\n"
            + "Rule: write numbers in words.\nRule: be brief.\n\n\n```\n\nProvide the new instructions within ``` "
            + "blocks.";

    @Test
    void itAppendsEachRuleOfTheFeedbackOnceAndOnlyFromFeedback() {
        String reply = SimulatedReflectionModel.answer(PROMPT);
        assertThat(reply).endsWith("```\nAnswer the question.\nWrite numbers in words.\nBe brief.\n```")
                .doesNotContain("this is an input");
        assertThat(SimulatedReflectionModel.handles(List.of(Message.user(PROMPT)))).isTrue();
        assertThat(SimulatedReflectionModel.handles(List.of(Message.system("x"), Message.user(PROMPT)))).isFalse();
    }

    @Test
    void withoutANewRuleTheInstructionStays() {
        String prompt = SimulatedReflectionModel.OPENING + "\n```\nAnswer.\nBe brief.\n```\n# Example 1\n"
                + "## Feedback\nRule: be brief.\n\n```";
        assertThat(SimulatedReflectionModel.answer(prompt)).startsWith("The feedback names no new rule")
                .endsWith("```\nAnswer.\nBe brief.\n```");
    }

    @Test
    void theSimulatedModelAnswersReflectionPromptsAndFollowsTheStyleRule() {
        SimulatedModel model = new SimulatedModel();
        assertThat(model.answer(List.of(Message.user(PROMPT)))).contains("Be brief.");
        Signature styled = Signature.parse("question -> answer", "Answer the arithmetic question.\n"
                + "Write numbers from zero to nine in words, larger numbers in digits.");
        ChatAdapter adapter = new ChatAdapter();
        assertThat(adapter.parse(styled, model.answer(adapter.format(styled, List.of(),
                Map.of("question", "What is 3 plus 4?"))))).containsEntry("answer", "seven");
        assertThat(adapter.parse(styled, model.answer(adapter.format(styled, List.of(),
                Map.of("question", "What is 30 plus 4?"))))).containsEntry("answer", "34");
        Signature plain = Signature.parse("question -> answer", "Answer the arithmetic question.");
        assertThat(adapter.parse(plain, model.answer(adapter.format(plain, List.of(),
                Map.of("question", "What is 3 plus 4?"))))).containsEntry("answer", "7");
    }
}
