package io.dspex.adapter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.dspex.internal.PyFormat;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads JSON the way language models write it. Built on Jackson's lenient {@link JsonReadFeature}s, which accept
 * single-quoted strings, unquoted field names, trailing commas, {@code NaN}/{@code Infinity}, Java/C comments,
 * unescaped control characters inside strings, backslash-escaping any character, {@code .5}, {@code 5.} and
 * {@code +5}. On top of them a small repair pass does what Jackson lacks:
 * <ol>
 *   <li>removes a Markdown code fence around the JSON (the text between the first {@code ```} line, with or
 *       without a language tag, and the next {@code ```});</li>
 *   <li>turns Python's {@code True}, {@code False} and {@code None} outside strings into {@code true},
 *       {@code false} and {@code null};</li>
 *   <li>when the whole text is no JSON value, reads the first balanced JSON object or array embedded in it
 *       (prose before and after is ignored; quotes are respected when balancing);</li>
 *   <li>closes brackets and a string left open at the very end (a truncated reply).</li>
 * </ol>
 * Nothing else is repaired. Objects read as {@code LinkedHashMap}, arrays as {@code ArrayList}, integers as
 * {@code Integer}/{@code Long}/{@code BigInteger}, other numbers as {@code Double}.
 */
final class LenientJson {

    /** Returned when the text holds no JSON value. */
    static final Object FAILED = new Object();

    private static final JsonFactory LENIENT = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES, JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES,
                    JsonReadFeature.ALLOW_TRAILING_COMMA, JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS,
                    JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS,
                    JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER,
                    JsonReadFeature.ALLOW_LEADING_DECIMAL_POINT_FOR_NUMBERS,
                    JsonReadFeature.ALLOW_TRAILING_DECIMAL_POINT_FOR_NUMBERS,
                    JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS)
            .build();

    private LenientJson() {
    }

    /**
     * @param text the text
     * @return the value read (a Map, List, String, Number, Boolean or null), or {@link #FAILED}
     */
    static @Nullable Object read(String text) {
        String s = PyFormat.strip(text);
        if (s.isEmpty()) {
            return FAILED;
        }
        s = unfence(s);
        s = pythonLiterals(s);
        Object v = tryRead(s);
        if (v != FAILED) {
            return v;
        }
        String embedded = embedded(s, true);
        if (embedded != null && !embedded.equals(s)) {
            v = tryRead(embedded);
            if (v != FAILED) {
                return v;
            }
        }
        String closed = embedded(s, false);
        if (closed != null && !closed.equals(s) && !closed.equals(embedded)) {
            return tryRead(closed);
        }
        return FAILED;
    }

    /**
     * @param text the text
     * @return the first balanced {@code {...}} in the text, brace-counting as DSPy's regex does (quotes ignored),
     *         or null
     */
    static @Nullable String firstObject(String text) {
        int from = 0;
        while (true) {
            int open = text.indexOf('{', from);
            if (open < 0) {
                return null;
            }
            int depth = 0;
            for (int i = open; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '{') {
                    depth++;
                } else if (c == '}') {
                    depth--;
                    if (depth == 0) {
                        return text.substring(open, i + 1);
                    }
                }
            }
            from = open + 1;
        }
    }

    private static @Nullable Object tryRead(String s) {
        char c = s.charAt(0);
        // A bare word is no JSON value; avoid the cost of an exception for the common plain-text reply.
        if (!(c == '{' || c == '[' || c == '"' || c == '\'' || c == '-' || c == '+' || c == '.'
                || (c >= '0' && c <= '9') || s.equals("true") || s.equals("false") || s.equals("null")
                || s.startsWith("NaN") || s.startsWith("Infinity") || c == '/')) {
            return FAILED;
        }
        try (JsonParser p = LENIENT.createParser(s)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return FAILED;
            }
            Object v = value(p, t);
            return p.nextToken() == null ? v : FAILED;
        } catch (IOException | RuntimeException e) {
            return FAILED;
        }
    }

    /** Builds the tree straight from the token stream (cheaper than data binding). */
    private static @Nullable Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                if (k != JsonToken.END_OBJECT) {
                    throw new IOException("unterminated object");
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (e == null) {
                        throw new IOException("unterminated array");
                    }
                    l.add(value(p, e));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IOException("unexpected token " + t);
        }
    }

    private static String unfence(String s) {
        int f = s.indexOf("```");
        if (f < 0) {
            return s;
        }
        int lineEnd = s.indexOf('\n', f + 3);
        if (lineEnd < 0) {
            return s;
        }
        int close = s.indexOf("```", lineEnd + 1);
        String inner = close < 0 ? s.substring(lineEnd + 1) : s.substring(lineEnd + 1, close);
        inner = PyFormat.strip(inner);
        return inner.isEmpty() ? s : inner;
    }

    /** Replaces the bare words True/False/None outside strings by their JSON spelling. */
    static String pythonLiterals(String s) {
        if (s.indexOf("True") < 0 && s.indexOf("False") < 0 && s.indexOf("None") < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        char quote = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                sb.append(c);
                if (c == '\\' && i + 1 < n) {
                    sb.append(s.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                sb.append(c);
                continue;
            }
            if (Character.isLetter(c) && (i == 0 || !isWordChar(s.charAt(i - 1)))) {
                int j = i;
                while (j < n && isWordChar(s.charAt(j))) {
                    j++;
                }
                String word = s.substring(i, j);
                switch (word) {
                    case "True" -> sb.append("true");
                    case "False" -> sb.append("false");
                    case "None" -> sb.append("null");
                    default -> sb.append(word);
                }
                i = j - 1;
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /**
     * @param balancedOnly true: the first balanced object/array; false: from the first '{' or '[' to the end,
     *                     with open brackets and a trailing open string closed
     */
    private static @Nullable String embedded(String s, boolean balancedOnly) {
        int from = 0;
        while (true) {
            int open = indexOfOpen(s, from);
            if (open < 0) {
                return null;
            }
            Deque<Character> stack = new ArrayDeque<>();
            char quote = 0;
            for (int i = open; i < s.length(); i++) {
                char c = s.charAt(i);
                if (quote != 0) {
                    if (c == '\\') {
                        i++;
                    } else if (c == quote) {
                        quote = 0;
                    }
                    continue;
                }
                if (c == '"' || c == '\'') {
                    // an apostrophe inside prose-like text is no string start unless it follows a separator
                    if (c == '\'' && i > 0 && Character.isLetterOrDigit(s.charAt(i - 1))) {
                        continue;
                    }
                    quote = c;
                } else if (c == '{' || c == '[') {
                    stack.push(c == '{' ? '}' : ']');
                } else if (c == '}' || c == ']') {
                    if (stack.isEmpty() || stack.peek() != c) {
                        break;
                    }
                    stack.pop();
                    if (stack.isEmpty()) {
                        return balancedOnly ? s.substring(open, i + 1) : null;
                    }
                }
            }
            if (!balancedOnly && !stack.isEmpty()) {
                StringBuilder sb = new StringBuilder(s.substring(open));
                if (quote != 0) {
                    sb.append(quote);
                }
                while (!stack.isEmpty()) {
                    sb.append(stack.pop());
                }
                return sb.toString();
            }
            if (!balancedOnly) {
                return null;
            }
            from = open + 1;
        }
    }

    private static int indexOfOpen(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' || c == '[') {
                return i;
            }
        }
        return -1;
    }
}
