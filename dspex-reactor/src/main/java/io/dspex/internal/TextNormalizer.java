package io.dspex.internal;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * DSPy's {@code normalize_text} (from {@code dspy.evaluate}), shared by the metrics and by {@code majority}: Unicode
 * NFD, lower case, ASCII punctuation removed, the whole words {@code a}, {@code an}, {@code the} replaced by a space,
 * white space collapsed.
 */
public final class TextNormalizer {

    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private TextNormalizer() {
    }

    /**
     * @param text the text
     * @return the normalised text
     * @throws IllegalArgumentException when {@code text} is null
     */
    public static String normalizeText(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to normalise must not be null");
        }
        String s = Normalizer.normalize(text, Normalizer.Form.NFD).toLowerCase(Locale.ROOT);
        StringBuilder noPunct = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) {
                noPunct.append(c);
            }
        }
        return String.join(" ", splitWhitespace(removeArticles(noPunct.toString())));
    }

    /** Python's {@code re.sub(r"\b(a|an|the)\b", " ", s)}: whole word runs, with Python's idea of a word char. */
    private static String removeArticles(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!isPythonWordChar(cp)) {
                out.appendCodePoint(cp);
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            while (i < s.length() && isPythonWordChar(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            String word = s.substring(start, i);
            out.append(word.equals("a") || word.equals("an") || word.equals("the") ? " " : word);
        }
        return out.toString();
    }

    /** Python's {@code \w} on {@code str}: alphanumeric (letters, any numeric) or underscore; not combining marks. */
    private static boolean isPythonWordChar(int cp) {
        if (cp == '_' || Character.isLetter(cp)) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }

    /** Python's {@code str.split()}: split on Unicode white space, dropping empty parts. */
    public static List<String> splitWhitespace(String s) {
        List<String> parts = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ws = Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
            if (ws) {
                if (start >= 0) {
                    parts.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            parts.add(s.substring(start));
        }
        return parts;
    }
}
