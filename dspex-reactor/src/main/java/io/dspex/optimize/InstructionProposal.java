package io.dspex.optimize;

import io.dspex.internal.PyFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GEPA's instruction proposal prompt and reply parsing (gepa 0.1.4's {@code InstructionProposalSignature}, which
 * DSPy's GEPA sends to the reflection LM as one user message): the current instruction and the reflective dataset
 * rendered as markdown, then the request for a new instruction inside triple backticks.
 */
final class InstructionProposal {

    /** gepa's default prompt template; {@code <curr_param>} and {@code <side_info>} are replaced. */
    static final String TEMPLATE = "I provided an assistant with the following instructions to perform a task for me:\n"
            + "```\n"
            + "<curr_param>\n"
            + "```\n"
            + "\n"
            + "The following are examples of different task inputs provided to the assistant along with the "
            + "assistant's response for each of them, and some feedback on how the assistant's response could be "
            + "better:\n"
            + "```\n"
            + "<side_info>\n"
            + "```\n"
            + "\n"
            + "Your task is to write a new instruction for the assistant.\n"
            + "\n"
            + "Read the inputs carefully and identify the input format and infer detailed task description about the "
            + "task I wish to solve with the assistant.\n"
            + "\n"
            + "Read all the assistant responses and the corresponding feedback. Identify all niche and domain specific "
            + "factual information about the task and include it in the instruction, as a lot of it may not be "
            + "available to the assistant in the future. The assistant may have utilized a generalizable strategy to "
            + "solve the task, if so, include that in the instruction as well.\n"
            + "\n"
            + "Provide the new instructions within ``` blocks.";

    private static final Pattern OPENING_FENCE = Pattern.compile("^```\\S*\\n?", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern LANGUAGE_LINE = Pattern.compile("^\\S*\\n", Pattern.UNICODE_CHARACTER_CLASS);

    private InstructionProposal() {
    }

    /**
     * The prompt for one predictor.
     *
     * @param current the predictor's current instruction
     * @param dataset the reflective examples: maps of "Inputs", "Generated Outputs" and "Feedback", whose values
     *                are strings, maps or lists
     * @return the prompt text
     */
    static String prompt(String current, List<? extends Map<String, ?>> dataset) {
        StringBuilder examples = new StringBuilder();
        for (int i = 0; i < dataset.size(); i++) {
            if (i > 0) {
                examples.append("\n\n");
            }
            examples.append("# Example ").append(i + 1).append('\n');
            for (Map.Entry<String, ?> e : dataset.get(i).entrySet()) {
                examples.append("## ").append(e.getKey()).append('\n');
                render(e.getValue(), 3, examples);
            }
        }
        return TEMPLATE.replace("<curr_param>", current).replace("<side_info>", examples.toString());
    }

    private static void render(Object value, int level, StringBuilder sb) {
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append("#".repeat(level)).append(' ').append(e.getKey()).append('\n');
                render(e.getValue(), Math.min(level + 1, 6), sb);
            }
            if (m.isEmpty()) {
                sb.append('\n');
            }
        } else if (value instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                sb.append("#".repeat(level)).append(" Item ").append(i + 1).append('\n');
                render(l.get(i), Math.min(level + 1, 6), sb);
            }
            if (l.isEmpty()) {
                sb.append('\n');
            }
        } else {
            sb.append(PyFormat.strip(PyFormat.str(value))).append("\n\n");
        }
    }

    /**
     * gepa's {@code output_extractor} on the stripped reply: the text between the first and the last triple
     * backticks (without a language tag on the first line), or, without a complete block, the reply without its
     * lone fence.
     *
     * @param reply the reflection LM's reply
     * @return the proposed instruction, stripped; empty when the reply holds none
     */
    static String extract(String reply) {
        String out = PyFormat.strip(reply);
        int start = out.indexOf("```") + 3;
        int end = out.lastIndexOf("```");
        if (start >= end) {
            String stripped = PyFormat.strip(out);
            if (stripped.startsWith("```")) {
                Matcher m = OPENING_FENCE.matcher(out);
                if (m.find()) {
                    return PyFormat.strip(out.substring(m.end()));
                }
            } else if (stripped.endsWith("```")) {
                return PyFormat.strip(stripped.substring(0, stripped.length() - 3));
            }
            return stripped;
        }
        String content = out.substring(start, end);
        Matcher m = LANGUAGE_LINE.matcher(content);
        if (m.find()) {
            content = content.substring(m.end());
        }
        return PyFormat.strip(content);
    }
}
