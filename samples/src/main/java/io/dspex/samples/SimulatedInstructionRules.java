package io.dspex.samples;

import java.util.Locale;

/**
 * How the {@link SimulatedModel}'s answers depend on the instructions it is given: one rule, so that an instruction
 * optimizer has something to find. It reads only the instructions in the prompt's system message (the text after
 * "your objective is:"), never a label.
 *
 * <p><b>The rule.</b> When the instructions ask for numbers in words (they contain "in words", in any case), the
 * model spells out answers from zero to nine ({@code seven}) and writes larger ones in digits, as if it had seen
 * demos spelling out numbers up to nine. Otherwise the instructions change nothing.
 *
 * <pre>{@code
 * SimulatedInstructionRules.spellUpTo(systemMessage); // 9 when the instructions say "... in words ...", else -1
 * }</pre>
 */
final class SimulatedInstructionRules {

    private static final String OBJECTIVE = "your objective is:";

    private SimulatedInstructionRules() {
    }

    /**
     * @param system the prompt's system message
     * @return the largest number the instructions ask to spell out (9), or -1 when they ask for nothing
     */
    static long spellUpTo(String system) {
        int at = system.indexOf(OBJECTIVE);
        if (at < 0) {
            return -1;
        }
        String instructions = system.substring(at + OBJECTIVE.length()).toLowerCase(Locale.ROOT);
        return instructions.contains("in words") ? 9 : -1;
    }
}
