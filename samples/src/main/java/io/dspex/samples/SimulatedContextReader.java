package io.dspex.samples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the {@link SimulatedModel} does when the prompt gives it a {@code context} to answer a {@code question} from
 * (retrieval-augmented generation, the {@code rag} sample). Like the rest of the simulated model it knows nothing
 * and sees only the prompt; it reads the answer out of the context:
 *
 * <ol>
 *   <li><b>When.</b> It applies when the last user message has both a {@code context} and a {@code question} input
 *       block. The context's passages are the ChatAdapter's {@code [1] «...»} items (else the whole block is one
 *       passage); each passage is split into sentences. The question is its block's first paragraph.</li>
 *   <li><b>Which sentences.</b> Sentences are ranked by the content words they share with the question
 *       (lower-cased, common words ignored, a plural's final {@code s} dropped, a capitalized word counting double);
 *       on a tie the earlier one ranks first. When no sentence shares a content word, the answer is "The context
 *       does not say." and the reasoning says so.</li>
 *   <li><b>What answer.</b> The question's first words say what kind of answer it wants: <i>when / what year /
 *       which year</i> a year; <i>how many / how much / how long / how deep / how tall / how high / how far</i> a
 *       number with the word after it ({@code 48 kilometres}); <i>who</i> a run of capitalized words that the
 *       question does not contain and that does not start the sentence (a person's name); <i>where</i> a
 *       capitalized place after "in", "on", "at", "to" or "from" that the question does not contain. The answer is
 *       the first such thing in the best-ranked sentence that has one. Any other question, or one whose kind no
 *       ranked sentence has, is answered with the best-ranked sentence itself.</li>
 *   <li><b>Reasoning.</b> It quotes the sentence the answer comes from and names its passage: {@code Passage [2] says: "..."}.</li>
 * </ol>
 */
final class SimulatedContextReader {

    private static final Pattern ITEM = Pattern.compile("\\[(\\d+)]\\s*«(.*?)»", Pattern.DOTALL);
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=[A-Z0-9])");
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}'-]*");
    private static final Pattern YEAR = Pattern.compile("\\b(1[0-9]{3}|20[0-9]{2})s?\\b");
    private static final Pattern QUANTITY = Pattern.compile("\\b(\\d[\\d,.]*)\\s+([a-z]+)");
    private static final Pattern NAME = Pattern.compile("\\b([A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+))*)");
    private static final Pattern PLACE = Pattern.compile("\\b(?:in|on|at|to|from)\\s+(?:the\\s+)?"
            + "([A-Z][a-z]+(?:[ -](?:of\\s+)?[A-Z][a-z]+)*)");
    private static final Set<String> STOP = Set.of("a", "an", "the", "is", "are", "was", "were", "be", "been", "of",
            "in", "on", "at", "to", "from", "by", "for", "with", "and", "or", "what", "which", "who", "whom", "when",
            "where", "why", "how", "many", "much", "long", "deep", "tall", "high", "far", "does", "do", "did", "it",
            "its", "that", "this", "there", "year", "can", "into", "as", "his", "her", "their", "now");

    private SimulatedContextReader() {
    }

    /** @return whether the prompt's inputs ask for this behaviour: a context and a question */
    static boolean applies(Map<String, String> inputs) {
        return inputs.containsKey("context") && inputs.containsKey("question");
    }

    /**
     * @param inputs the last user message's input blocks ({@code context}, {@code question})
     * @return {@code reasoning} and {@code answer}
     */
    static Map<String, String> answer(Map<String, String> inputs) {
        // The question block runs to the first blank line (the ChatAdapter's closing instruction follows it).
        String question = inputs.get("question").strip().split("\\n\\s*\\n", 2)[0].strip();
        List<String> passages = passages(inputs.get("context"));
        Set<String> wanted = contentWords(question);
        List<Scored> ranked = new ArrayList<>();
        for (int p = 0; p < passages.size(); p++) {
            for (String sentence : SENTENCE_END.split(passages.get(p).strip())) {
                int score = 0;
                for (String w : contentWords(sentence)) {
                    if (wanted.contains(w)) {
                        score += Character.isUpperCase(originalFirstLetter(sentence, w)) ? 2 : 1;
                    }
                }
                if (score > 0) {
                    ranked.add(new Scored(sentence, p, score, ranked.size()));
                }
            }
        }
        ranked.sort((a, b) -> a.score() != b.score() ? Integer.compare(b.score(), a.score())
                : Integer.compare(a.order(), b.order()));
        Map<String, String> out = new LinkedHashMap<>();
        if (ranked.isEmpty()) {
            out.put("reasoning", "No passage of the context shares a word with the question, so the context does not"
                    + " answer it.");
            out.put("answer", "The context does not say.");
            return out;
        }
        Scored chosen = ranked.get(0);
        String answer = null;
        for (Scored s : ranked) {
            answer = extract(question, s.sentence());
            if (answer != null) {
                chosen = s;
                break;
            }
        }
        out.put("reasoning", "Passage [" + (chosen.passage() + 1) + "] says: \"" + chosen.sentence() + "\"");
        out.put("answer", answer != null ? answer : chosen.sentence());
        return out;
    }

    /** A sentence of the context, its passage, its overlap with the question and its position. */
    private record Scored(String sentence, int passage, int score, int order) {
    }

    private static List<String> passages(String context) {
        List<String> out = new ArrayList<>();
        Matcher m = ITEM.matcher(context);
        while (m.find()) {
            out.add(m.group(2));
        }
        if (out.isEmpty()) {
            out.add(context);
        }
        return out;
    }

    /** @return the answer the question's kind asks for in the sentence; null when it has none; else the sentence */
    private static @Nullable String extract(String question, String sentence) {
        String q = question.toLowerCase(Locale.ROOT);
        if (q.startsWith("when") || q.startsWith("what year") || q.startsWith("which year")
                || q.startsWith("in what year") || q.startsWith("in which year")) {
            Matcher m = YEAR.matcher(sentence);
            return m.find() ? m.group() : null;
        } else if (q.matches("^how (many|much|long|deep|tall|high|far)\\b.*")) {
            Matcher m = QUANTITY.matcher(sentence);
            return m.find() ? m.group(1) + " " + m.group(2) : null;
        } else if (q.startsWith("who")) {
            Matcher m = NAME.matcher(sentence);
            while (m.find()) {
                if (!question.contains(m.group(1)) && m.start() > 0) {
                    return m.group(1);
                }
            }
            return null;
        } else if (q.startsWith("where")) {
            Matcher m = PLACE.matcher(sentence);
            while (m.find()) {
                if (!question.contains(m.group(1))) {
                    return m.group(1);
                }
            }
            return null;
        }
        return sentence;
    }

    /** Lower-cased words of a text without common words, a final plural {@code s} dropped. */
    static Set<String> contentWords(String text) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            String w = m.group().toLowerCase(Locale.ROOT);
            if (w.endsWith("'s")) {
                w = w.substring(0, w.length() - 2);
            }
            if (STOP.contains(w)) {
                continue;
            }
            if (w.length() > 3 && w.endsWith("s") && !w.endsWith("ss")) {
                w = w.substring(0, w.length() - 1);
            }
            out.add(w);
        }
        return out;
    }

    /** The first letter, as written, of the first word of {@code text} whose content form is {@code w}. */
    private static char originalFirstLetter(String text, String w) {
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            if (contentWords(m.group()).contains(w)) {
                return m.group().charAt(0);
            }
        }
        return 'a';
    }
}
