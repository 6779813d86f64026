package io.dspex.evaluate;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.internal.TextNormalizer;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * DSPy's common metrics ({@code dspy.evaluate.metrics}): exact match and token F1 with DSPy's answer
 * normalisation, and passage match.
 *
 * <p>Normalisation ({@link #normalizeText(String)}) is DSPy's {@code normalize_text}: Unicode NFD, lower case,
 * remove ASCII punctuation, replace the whole words {@code a}, {@code an}, {@code the} by a space, collapse white
 * space. Gold values may be one string or a list of strings (any of them may match), as in DSPy's
 * {@code answer_exact_match}; any other type, or a prediction value that is not a string, is an
 * {@link IllegalArgumentException} naming the field and type (which fails that example in an evaluation).
 *
 * <pre>{@code
 * Metric em = Metrics.exactMatch("answer");          // answer_exact_match
 * Metric f1 = Metrics.f1("answer");                  // max token F1 over the gold answers
 * Metric ctx = Metrics.passageMatch("answer", "context");
 * Metrics.normalizeText("The,  Eiffel  Tower!");     // "eiffel tower"
 * }</pre>
 */
public final class Metrics {

    private static final Pattern DPR_TOKEN = Pattern.compile("([\\p{L}\\p{N}\\p{M}]+)|([^\\p{Z}\\p{C}])");

    private Metrics() {
    }

    /**
     * DSPy's {@code answer_exact_match} on one field: 1 when the predicted value equals the gold value (or any of
     * the gold values) after normalisation, else 0.
     *
     * @param field the field holding the gold answer in the example and the answer in the prediction
     * @return the metric, named {@code "exact_match"}
     * @throws IllegalArgumentException when {@code field} is null or blank
     */
    public static Metric exactMatch(String field) {
        return exactMatch(field, 1.0);
    }

    /**
     * DSPy's {@code answer_exact_match(..., frac=frac)}: with {@code frac >= 1} exact match after normalisation;
     * below 1, whether the best token F1 against the gold values is at least {@code frac}. Scores 1 or 0.
     *
     * @param field the answer field
     * @param frac  the threshold
     * @return the metric, named {@code "exact_match"}
     * @throws IllegalArgumentException when {@code field} is blank or {@code frac} is not a finite number
     */
    public static Metric exactMatch(String field, double frac) {
        requireField(field, "field");
        if (!Double.isFinite(frac)) {
            throw new IllegalArgumentException("frac must be a finite number, got " + frac);
        }
        Metric m = (example, prediction) -> {
            String predicted = predictedText(prediction, field);
            List<String> answers = goldAnswers(example, field);
            boolean ok = frac >= 1.0 ? exactMatchScore(predicted, answers) : f1Score(predicted, answers) >= frac;
            return ok ? 1.0 : 0.0;
        };
        return m.named("exact_match");
    }

    /**
     * DSPy's {@code F1}: the best token-level F1 of the predicted value against the gold value(s), after
     * normalisation.
     *
     * @param field the answer field
     * @return the metric, named {@code "f1"}
     * @throws IllegalArgumentException when {@code field} is null or blank
     */
    public static Metric f1(String field) {
        requireField(field, "field");
        Metric m = (example, prediction) -> f1Score(predictedText(prediction, field), goldAnswers(example, field));
        return m.named("f1");
    }

    /**
     * DSPy's {@code answer_passage_match}: 1 when any passage in the prediction's {@code contextField} contains
     * any gold answer from the example's {@code answerField} as a run of whole tokens (DPR tokenisation after
     * normalisation), else 0. The context may be a list of strings or one string (one passage).
     *
     * @param answerField  the example field with the gold answer(s)
     * @param contextField the prediction field with the retrieved passages
     * @return the metric, named {@code "passage_match"}
     * @throws IllegalArgumentException when a field name is null or blank
     */
    public static Metric passageMatch(String answerField, String contextField) {
        requireField(answerField, "answerField");
        requireField(contextField, "contextField");
        Metric m = (example, prediction) ->
                passageMatchScore(passages(prediction, contextField), goldAnswers(example, answerField)) ? 1.0 : 0.0;
        return m.named("passage_match");
    }

    /**
     * {@link #passageMatch(String, String)} on DSPy's fields: {@code answer} in the example, {@code context} in the
     * prediction.
     *
     * @return the metric
     */
    public static Metric passageMatch() {
        return passageMatch("answer", "context");
    }

    /**
     * DSPy's {@code normalize_text}.
     *
     * @param text the text
     * @return the normalised text
     * @throws IllegalArgumentException when {@code text} is null
     */
    public static String normalizeText(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to normalise must not be null");
        }
        return TextNormalizer.normalizeText(text);
    }

    /**
     * DSPy's {@code EM}: whether any gold answer equals the prediction after normalisation.
     *
     * @param prediction the predicted text
     * @param answers    the gold answers, at least one
     * @return whether any matches
     * @throws IllegalArgumentException when an argument is null or {@code answers} is empty
     */
    public static boolean exactMatchScore(String prediction, List<String> answers) {
        requireAnswers(answers);
        String p = normalizeText(requireText(prediction));
        for (String a : answers) {
            if (p.equals(normalizeText(requireText(a)))) {
                return true;
            }
        }
        return false;
    }

    /**
     * DSPy's {@code F1}: the best token F1 of the prediction against the gold answers (0 when no token overlaps,
     * also when both sides normalise to nothing).
     *
     * @param prediction the predicted text
     * @param answers    the gold answers, at least one
     * @return the best F1 in {@code [0, 1]}
     * @throws IllegalArgumentException when an argument is null or {@code answers} is empty
     */
    public static double f1Score(String prediction, List<String> answers) {
        requireAnswers(answers);
        List<String> p = TextNormalizer.splitWhitespace(normalizeText(requireText(prediction)));
        double best = 0;
        for (String a : answers) {
            best = Math.max(best, f1(p, TextNormalizer.splitWhitespace(normalizeText(requireText(a)))));
        }
        return best;
    }

    /**
     * DSPy's passage match: whether any passage contains any answer as a contiguous run of DPR tokens, both sides
     * normalised. An answer that normalises to no token matches any passage (as in DSPy).
     *
     * @param passages the passages
     * @param answers  the gold answers
     * @return whether any passage contains any answer
     * @throws IllegalArgumentException when an argument or element is null
     */
    public static boolean passageMatchScore(List<String> passages, List<String> answers) {
        if (passages == null || answers == null) {
            throw new IllegalArgumentException("passages and answers must not be null");
        }
        List<List<String>> tokenized = new ArrayList<>(answers.size());
        for (String a : answers) {
            tokenized.add(dprTokens(normalizeText(requireText(a))));
        }
        for (String passage : passages) {
            List<String> text = dprTokens(normalizeText(requireText(passage)));
            for (List<String> answer : tokenized) {
                for (int i = 0; i + answer.size() <= text.size(); i++) {
                    if (text.subList(i, i + answer.size()).equals(answer)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static double f1(List<String> prediction, List<String> gold) {
        Map<String, Integer> counts = new HashMap<>();
        for (String t : gold) {
            counts.merge(t, 1, Integer::sum);
        }
        int same = 0;
        for (String t : prediction) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                same++;
                counts.put(t, c - 1);
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / prediction.size();
        double recall = (double) same / gold.size();
        return (2 * precision * recall) / (precision + recall);
    }

    /** DPR's SimpleTokenizer words, uncased, after NFD. */
    private static List<String> dprTokens(String text) {
        Matcher m = DPR_TOKEN.matcher(Normalizer.normalize(text, Normalizer.Form.NFD));
        List<String> tokens = new ArrayList<>();
        while (m.find()) {
            tokens.add(m.group().toLowerCase(Locale.ROOT));
        }
        return tokens;
    }

    private static List<String> goldAnswers(Example example, String field) {
        Object gold = example.get(field);
        if (gold instanceof CharSequence cs) {
            return List.of(cs.toString());
        }
        if (gold instanceof Collection<?> c) {
            if (c.isEmpty()) {
                throw new IllegalArgumentException("example field '" + field + "' holds an empty list of answers");
            }
            List<String> out = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                if (!(o instanceof CharSequence cs)) {
                    throw new IllegalArgumentException("example field '" + field + "' element " + i
                            + " must be a string, got " + typeName(o));
                }
                out.add(cs.toString());
                i++;
            }
            return out;
        }
        throw new IllegalArgumentException("Invalid answer type: example field '" + field
                + "' must be a string or a list of strings, got " + typeName(gold));
    }

    private static String predictedText(Prediction prediction, String field) {
        Object v = prediction.get(field);
        if (v instanceof CharSequence cs) {
            return cs.toString();
        }
        throw new IllegalArgumentException("prediction field '" + field + "' must be a string, got " + typeName(v));
    }

    private static List<String> passages(Prediction prediction, String field) {
        Object v = prediction.get(field);
        if (v instanceof CharSequence cs) {
            return List.of(cs.toString());
        }
        if (v instanceof Collection<?> c) {
            List<String> out = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                if (!(o instanceof CharSequence cs)) {
                    throw new IllegalArgumentException("prediction field '" + field + "' passage " + i
                            + " must be a string, got " + typeName(o));
                }
                out.add(cs.toString());
                i++;
            }
            return out;
        }
        throw new IllegalArgumentException("prediction field '" + field
                + "' must be a list of passages (strings), got " + typeName(v));
    }

    private static String typeName(@Nullable Object o) {
        return o == null ? "null" : o.getClass().getSimpleName();
    }

    private static void requireField(@Nullable String field, String what) {
        if (field == null || field.isBlank()) {
            throw new IllegalArgumentException(what + " must be a non-blank field name, got "
                    + (field == null ? "null" : "'" + field + "'"));
        }
    }

    private static void requireAnswers(@Nullable List<String> answers) {
        if (answers == null || answers.isEmpty()) {
            throw new IllegalArgumentException("at least one gold answer is needed");
        }
    }

    private static String requireText(@Nullable String s) {
        if (s == null) {
            throw new IllegalArgumentException("answers and passages must be strings, got null");
        }
        return s;
    }
}
