package io.dspex.samples;

import io.dspex.lm.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated model's behaviour as GEPA's reflection model (the {@code optimize-gepa} sample). It reads only the
 * prompt GEPA sends it, the instruction-proposal prompt with the reflective dataset, and never sees a dataset or a
 * label; it decides as follows.
 *
 * <ol>
 *   <li><b>Which prompts.</b> A conversation of a single user message that starts with GEPA's opening words, "I
 *       provided an assistant with the following instructions to perform a task for me:" ({@link #handles}).</li>
 *   <li><b>The current instruction</b> is the text between the first pair of triple backticks.</li>
 *   <li><b>Rules.</b> In every example's "## Feedback" section, a line that starts with "Rule:" states a rule (the
 *       metric writes one when it can name what the answer missed). The rules are collected in the order they
 *       appear, each once; their first letter is capitalised.</li>
 *   <li><b>The new instruction</b> is the current instruction followed by each rule it does not already contain,
 *       one per line. With no new rule it proposes the current instruction unchanged.</li>
 *   <li><b>Reply</b>: one sentence, then the new instruction inside triple backticks, as GEPA asks.</li>
 * </ol>
 *
 * <pre>{@code
 * if (SimulatedReflectionModel.handles(messages)) {
 *     return SimulatedReflectionModel.answer(messages.get(0).content());
 * }
 * }</pre>
 */
public final class SimulatedReflectionModel {

    /** How GEPA's instruction-proposal prompt begins. */
    public static final String OPENING = "I provided an assistant with the following instructions to perform a task "
            + "for me:";

    private SimulatedReflectionModel() {
    }

    /**
     * @param messages a conversation
     * @return whether it is a GEPA reflection prompt: one user message starting with {@link #OPENING}
     */
    public static boolean handles(List<Message> messages) {
        return messages.size() == 1 && messages.get(0).role() == Message.Role.USER
                && messages.get(0).content().startsWith(OPENING);
    }

    /**
     * @param prompt GEPA's instruction-proposal prompt
     * @return the reply: a sentence and the new instruction in a triple-backtick block
     */
    public static String answer(String prompt) {
        String current = between(prompt);
        List<String> rules = new ArrayList<>();
        boolean inFeedback = false;
        for (String line : prompt.split("\n", -1)) {
            if (line.startsWith("#")) {
                inFeedback = line.equals("## Feedback");
                continue;
            }
            String l = line.strip();
            if (inFeedback && l.startsWith("Rule:")) {
                String rule = l.substring("Rule:".length()).strip();
                if (!rule.isEmpty()) {
                    rule = Character.toUpperCase(rule.charAt(0)) + rule.substring(1);
                    if (!rules.contains(rule)) {
                        rules.add(rule);
                    }
                }
            }
        }
        StringBuilder next = new StringBuilder(current);
        int added = 0;
        for (String rule : rules) {
            if (!next.toString().contains(rule)) {
                next.append(next.length() == 0 ? "" : "\n").append(rule);
                added++;
            }
        }
        String sentence = added == 0 ? "The feedback names no new rule, so the instruction stays as it is."
                : "The feedback names " + (added == 1 ? "a rule" : added + " rules")
                        + " the assistant did not follow; the new instruction states "
                        + (added == 1 ? "it" : "them") + ".";
        return sentence + "\n```\n" + next + "\n```";
    }

    private static String between(String prompt) {
        int start = prompt.indexOf("```\n");
        if (start < 0) {
            return "";
        }
        int end = prompt.indexOf("\n```", start + 4);
        return end < 0 ? "" : prompt.substring(start + 4, end);
    }
}
