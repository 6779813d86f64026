package io.dspex.samples;

import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the simulated model takes from a signature's instructions (the objective at the end of the system message):
 * one rule, so that an optimizer that rewrites instructions can teach it the house style.
 *
 * <ul>
 *   <li>When the instructions say that numbers from A to B are written in words (for example "Write numbers from
 *       zero to nine in words, larger numbers in digits."; A and B in words or digits), the model spells out results
 *       from 0 up to B, as a demo that spells out B would teach it.</li>
 *   <li>Anything else in the instructions changes nothing.</li>
 * </ul>
 */
final class SimulatedInstructions {

    private static final String OBJECTIVE = "your objective is:";
    private static final Pattern WORDS_RULE = Pattern.compile(
            "numbers from (\\w+) to (\\w+) (?:are written |)in words", Pattern.CASE_INSENSITIVE);

    private SimulatedInstructions() {
    }

    /**
     * @param system the system message
     * @return the largest number the instructions say to spell out, when they say so
     */
    static OptionalLong spellUpTo(String system) {
        int at = system.indexOf(OBJECTIVE);
        if (at < 0) {
            return OptionalLong.empty();
        }
        Matcher m = WORDS_RULE.matcher(system.substring(at + OBJECTIVE.length()));
        if (!m.find()) {
            return OptionalLong.empty();
        }
        String upTo = m.group(2).toLowerCase(Locale.ROOT);
        if (upTo.chars().allMatch(Character::isDigit)) {
            return OptionalLong.of(Long.parseLong(upTo));
        }
        return SimulatedModel.wordsToNumber(upTo);
    }
}
