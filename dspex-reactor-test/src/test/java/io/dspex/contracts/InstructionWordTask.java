package io.dspex.contracts;

import io.dspex.lm.LmRequest;
import io.dspex.test.ScriptedLm;

/**
 * The word task for optimizers that change instructions or sample: the model also reverses the word when its
 * instructions say {@value #RULE}, and, as a model sampled at temperature 1 would sometimes, when a request's
 * rollout id plus the question's length is even. So an instruction proposed by a reflective optimizer changes the
 * answers, and repeated samples of one example disagree.
 */
abstract class InstructionWordTask extends WordTaskContract {

    static final String RULE = "Reverse the word after the colon.";

    @Override
    protected ScriptedLm createLm() {
        return super.createLm().when(InstructionWordTask::reverses, req -> {
            String q = question(req);
            String answer = new StringBuilder(q.substring(q.indexOf(':') + 1)).reverse().toString();
            return "[[ ## reasoning ## ]]\nReversed.\n\n[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]";
        });
    }

    private static String question(LmRequest req) {
        String last = ScriptedLm.lastUserMessage(req);
        return last.substring(last.indexOf("]]\n") + 3, last.indexOf("\n\n"));
    }

    private static boolean reverses(LmRequest req) {
        if (req.messages().get(0).content().contains(RULE)) {
            return true;
        }
        String rollout = req.config().rolloutId();
        return rollout != null && (Integer.parseInt(rollout) + question(req).length()) % 2 == 0;
    }
}
