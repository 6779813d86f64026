package io.dspex.samples;

import io.dspex.lm.Message;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@link SimulatedModel}'s answers to an instruction optimizer's prompts (DSPy's proposer signatures, which
 * {@code MiproV2} and {@code Copro} send): a deterministic stand-in for a strong model writing instructions. Like the
 * task model it sees only the prompt; the proposer prompts legitimately show training examples (the dataset
 * summary) and demos, as they do in DSPy. It answers only prompts whose instructions are those of DSPy's proposer
 * signatures; its rules, by the output field the prompt asks for:
 *
 * <ul>
 *   <li>{@code observations} (dataset descriptor): when the examples shown have some answers spelled out as number
 *       words and some in digits, it observes "Answers are numbers: from zero to nine they are written in words,
 *       larger ones in digits."; otherwise "The examples are arithmetic questions with numeric answers.". Asked for
 *       further observations after that first one, it says "COMPLETE".</li>
 *   <li>{@code summary}: "Summary: " followed by the observations.</li>
 *   <li>{@code program_description} / {@code module_description}: a fixed description of an arithmetic program.</li>
 *   <li>{@code proposed_instruction} (MIPROv2's proposal): by the tip in the prompt. With the "simple" or the
 *       "creative" tip, or when the dataset description says nothing about words, an instruction without the house
 *       style ("Answer the arithmetic question with a number.", "Solve the arithmetic question like a fearless
 *       mathematician."); otherwise one that states it: "Answer the arithmetic question. Write numbers from zero to
 *       nine in words and larger numbers in digits." (with a persona or a high-stakes sentence before it when the
 *       tip asks for one). COPRO's prompts (no tip, no data) get the basic instruction with "Think it through."
 *       appended and the prefix "Answer:".</li>
 * </ul>
 */
final class SimulatedProposerModel {

    private static final Pattern OUTPUT_FIELD = Pattern.compile("^\\d+\\. `(\\w+)`", Pattern.MULTILINE);
    private static final Pattern NUMBER_WORD = Pattern.compile(
            "'answer': '(zero|one|two|three|four|five|six|seven|eight|nine)'");
    private static final Pattern DIGITS = Pattern.compile("'answer': '\\d+'");
    /** How the instructions of DSPy's proposer signatures begin (COPRO's, the proposer's, the dataset summary's). */
    private static final List<String> OPENINGS = List.of(
            "You are an instruction optimizer for large language models.",
            "Use the information below to learn about a task that we are trying to solve using calls to an LM",
            "Given several examples from a dataset please write observations",
            "Given a series of observations I have made about my dataset",
            "Below is some pseudo-code for a pipeline that solves tasks with calls to language models.");
    static final String WORDS_OBSERVATION = "Answers are numbers: from zero to nine they are written in words, "
            + "larger ones in digits.";
    static final String HOUSE_STYLE = "Write numbers from zero to nine in words and larger numbers in digits.";

    private SimulatedProposerModel() {
    }

    /**
     * @param system the prompt's system message
     * @return whether it is one of the optimizer's prompts this model answers
     */
    static boolean handles(String system) {
        int at = system.indexOf("your objective is:");
        if (at < 0) {
            return false;
        }
        String objective = system.substring(at);
        for (String opening : OPENINGS) {
            if (objective.contains(opening)) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param messages the prompt
     * @return the reply in the ChatAdapter's format
     */
    static String answer(List<Message> messages) {
        String system = messages.get(0).content();
        String user = messages.get(messages.size() - 1).content();
        Map<String, String> inputs = SimulatedModel.sections(user);
        Map<String, String> out = new LinkedHashMap<>();
        for (String field : outputFields(system)) {
            out.put(field, switch (field) {
                case "observations" -> inputs.containsKey("prior_observations") ? "COMPLETE"
                        : observe(inputs.getOrDefault("examples", ""));
                case "summary" -> "Summary: " + inputs.getOrDefault("observations", "");
                case "program_description" -> "The program answers arithmetic questions, reasoning step by step.";
                case "module_description" -> "It works out the arithmetic and writes the answer.";
                case "proposed_instruction" -> propose(inputs);
                case "proposed_prefix_for_output_field" -> "Answer:";
                default -> "Not applicable.";
            });
        }
        StringBuilder sb = new StringBuilder();
        out.forEach((k, v) -> sb.append("[[ ## ").append(k).append(" ## ]]\n").append(v).append("\n\n"));
        return sb.append("[[ ## completed ## ]]").toString();
    }

    private static String observe(String examples) {
        boolean words = NUMBER_WORD.matcher(examples).find();
        boolean digits = DIGITS.matcher(examples).find();
        return words && digits ? WORDS_OBSERVATION : "The examples are arithmetic questions with numeric answers.";
    }

    private static String propose(Map<String, String> inputs) {
        String basic = inputs.getOrDefault("basic_instruction", "Answer the question.");
        if (!inputs.containsKey("task_demos")) {
            return basic + " Think it through."; // COPRO
        }
        String tip = inputs.getOrDefault("tip", "").toLowerCase(Locale.ROOT);
        String description = inputs.getOrDefault("dataset_description", "").toLowerCase(Locale.ROOT);
        if (tip.contains("clear and concise")) {
            return "Proposed Instruction: Answer the arithmetic question with a number.";
        }
        if (tip.contains("creative") || !description.contains("in words")) {
            return "Proposed Instruction: Solve the arithmetic question like a fearless mathematician.";
        }
        String before = tip.contains("persona") ? "You are a meticulous bookkeeper. "
                : tip.contains("high stakes") ? "A bank's ledger depends on your answer. " : "";
        return "Proposed Instruction: " + before + "Answer the arithmetic question. " + HOUSE_STYLE;
    }

    private static List<String> outputFields(String system) {
        int from = system.indexOf("Your output fields are:");
        int to = system.indexOf("All interactions will be structured");
        if (from < 0 || to < from) {
            return List.of();
        }
        Matcher m = OUTPUT_FIELD.matcher(system.substring(from, to));
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
