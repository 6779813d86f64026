package io.dspex.contracts;

import io.dspex.lm.LmRequest;
import io.dspex.test.ScriptedLm;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The word task for the instruction optimizers: the same task model, and the same LM also answers the proposal
 * prompts (COPRO's and MIPROv2's signatures, whose inputs are not {@code question}) with one fixed text per output
 * field, so its answers depend only on the request.
 */
abstract class InstructionTaskContract extends WordTaskContract {

    private static final Pattern OUTPUT = Pattern.compile("^\\d+\\. `(\\w+)`", Pattern.MULTILINE);

    @Override
    protected ScriptedLm createLm() {
        return super.createLm().when(InstructionTaskContract::isProposerPrompt, InstructionTaskContract::propose);
    }

    static boolean isProposerPrompt(LmRequest request) {
        return !request.messages().get(0).content().startsWith("Your input fields are:\n1. `question`");
    }

    /** Every output field of the prompt's signature, filled with a fixed proposal. */
    static String propose(LmRequest request) {
        String system = request.messages().get(0).content();
        String outputs = system.substring(system.indexOf("Your output fields are:"),
                system.indexOf("All interactions will be structured"));
        Matcher m = OUTPUT.matcher(outputs);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String field = m.group(1);
            String value = field.equals("proposed_prefix_for_output_field") ? "Answer:"
                    : field.equals("proposed_instruction") ? "Reverse the word after the colon." : "An observation.";
            sb.append("[[ ## ").append(field).append(" ## ]]\n").append(value).append("\n\n");
        }
        return sb.append("[[ ## completed ## ]]").toString();
    }
}
