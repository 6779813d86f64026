package io.dspex.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Python-compatible text rendering: what {@code str()}, {@code repr()}, {@code json.dumps}, {@code str.strip},
 * {@code str.splitlines}, {@code str.title} and {@code textwrap.dedent} produce in CPython, so that prompts are
 * byte-identical with DSPy's. Not for users.
 */
public final class PyFormat {

    private PyFormat() {
    }

    // ---------------------------------------------------------------- whitespace, lines

    /** @return whether CPython's {@code str.isspace()} holds for this character */
    public static boolean isSpace(char c) {
        if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) {
            return true;
        }
        if (c < 0x85) {
            return false;
        }
        return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028
                || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /**
     * Python's {@code str.strip()}: without leading and trailing whitespace as CPython defines it. A builder's text
     * is copied once; a {@code String} with nothing to strip is returned as it is.
     *
     * @param s the text
     * @return it stripped
     */
    public static String strip(CharSequence s) {
        int b = 0;
        int e = s.length();
        while (b < e && isSpace(s.charAt(b))) {
            b++;
        }
        while (e > b && isSpace(s.charAt(e - 1))) {
            e--;
        }
        if (s instanceof String str && b == 0 && e == str.length()) {
            return str;
        }
        return s.subSequence(b, e).toString();
    }

    /** @return whether {@code c} ends a line for CPython's {@code str.splitlines()} */
    public static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    /** @return {@code s.splitlines()} as CPython computes it (no trailing empty line, {@code \r\n} is one break) */
    public static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int n = s.length();
        int start = 0;
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (isLineBreak(c)) {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
            i++;
        }
        if (start < n) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** @return {@code textwrap.dedent(text)}: the common leading blanks removed, blank-only lines emptied */
    public static String dedent(String text) {
        if (text.isEmpty()) {
            return text;
        }
        // Split on \n only, as textwrap's regular expressions do (MULTILINE ^ and $ are \n-based).
        String[] lines = text.split("\n", -1);
        String margin = null;
        for (int k = 0; k < lines.length; k++) {
            String line = lines[k];
            int j = 0;
            while (j < line.length() && (line.charAt(j) == ' ' || line.charAt(j) == '\t')) {
                j++;
            }
            if (j == line.length()) {
                lines[k] = "";
                continue;
            }
            String indent = line.substring(0, j);
            if (margin == null) {
                margin = indent;
            } else if (indent.startsWith(margin)) {
                // margin stays
            } else if (margin.startsWith(indent)) {
                margin = indent;
            } else {
                int m = 0;
                while (m < margin.length() && m < indent.length() && margin.charAt(m) == indent.charAt(m)) {
                    m++;
                }
                margin = margin.substring(0, m);
            }
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (int k = 0; k < lines.length; k++) {
            if (k > 0) {
                sb.append('\n');
            }
            String line = lines[k];
            sb.append(margin != null && !margin.isEmpty() && line.startsWith(margin)
                    ? line.substring(margin.length()) : line);
        }
        return sb.toString();
    }

    /** @return {@code name.title()} as CPython computes it (each letter run starts upper case, the rest lower) */
    public static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean cased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            if (cased) {
                sb.append(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            } else {
                sb.append(c);
            }
            prevCased = cased;
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- numbers

    /** @return {@code repr(x)} of a Python float */
    public static String repr(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (x == 0) {
            return (1 / x < 0) ? "-0.0" : "0.0";
        }
        double abs = Math.abs(x);
        String j = Double.toString(abs);
        // Java's plain notation covers [1e-3, 1e7), inside Python's plain range; up to 15 digits it is shortest.
        if (j.length() <= 16 && j.indexOf('E') < 0) {
            return x < 0 ? "-" + j : j;
        }
        return formatShortest(shortestDigits(j, abs), x < 0);
    }

    /** @return {@code repr} of a Java float, using the float's own shortest digits (0.1f renders 0.1) */
    public static String repr(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x) || x == 0) {
            return repr((double) x);
        }
        return formatShortest(digitsOf(Float.toString(Math.abs(x))), x < 0);
    }

    /** Decimal digits (no leading/trailing zeros) and the exponent {@code decpt}: value = 0.digits * 10^decpt. */
    private record Digits(String digits, int decpt) {
    }

    private static Digits digitsOf(String javaRepr) {
        // Java renders "123.45", "0.00123" or "1.2345E-5"
        int ePos = javaRepr.indexOf('E');
        String mant = ePos < 0 ? javaRepr : javaRepr.substring(0, ePos);
        int exp = ePos < 0 ? 0 : Integer.parseInt(javaRepr.substring(ePos + 1));
        int dot = mant.indexOf('.');
        String intPart = dot < 0 ? mant : mant.substring(0, dot);
        String frac = dot < 0 ? "" : mant.substring(dot + 1);
        String all = intPart + frac;
        int decpt = intPart.length() + exp;
        int lead = 0;
        while (lead < all.length() - 1 && all.charAt(lead) == '0') {
            lead++;
        }
        all = all.substring(lead);
        decpt -= lead;
        int end = all.length();
        while (end > 1 && all.charAt(end - 1) == '0') {
            end--;
        }
        return new Digits(all.substring(0, end), decpt);
    }

    private static Digits shortestDigits(String javaRepr, double abs) {
        Digits d = digitsOf(javaRepr);
        if (d.digits.length() <= 15) {
            return d;
        }
        // JDK 17's Double.toString is not always the shortest round-tripping form (JDK-4511638): search for it.
        BigDecimal exact = new BigDecimal(abs);
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == abs) {
                String plain = r.unscaledValue().toString();
                int decpt = plain.length() - r.scale();
                int end = plain.length();
                while (end > 1 && plain.charAt(end - 1) == '0') {
                    end--;
                }
                return new Digits(plain.substring(0, end), decpt);
            }
        }
        return d;
    }

    private static String formatShortest(Digits d, boolean negative) {
        StringBuilder sb = new StringBuilder(24);
        if (negative) {
            sb.append('-');
        }
        String digits = d.digits;
        int decpt = d.decpt;
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                sb.append("0.");
                for (int i = 0; i < -decpt; i++) {
                    sb.append('0');
                }
                sb.append(digits);
            } else if (decpt >= digits.length()) {
                sb.append(digits);
                for (int i = digits.length(); i < decpt; i++) {
                    sb.append('0');
                }
                sb.append(".0");
            } else {
                sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            if (a < 10) {
                sb.append('0');
            }
            sb.append(a);
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- values

    private static final ClassValue<Object[]> ENUM_VALUES = new ClassValue<>() {
        @Override
        protected Object[] computeValue(Class<?> type) {
            Object[] constants = type.getEnumConstants();
            Object[] values = new Object[constants.length];
            for (int i = 0; i < constants.length; i++) {
                Object v = Json.MAPPER.convertValue(constants[i], Object.class);
                values[i] = v == null ? ((Enum<?>) constants[i]).name() : v;
            }
            return values;
        }
    };

    private static final ClassValue<Method[]> RECORD_ACCESSORS = new ClassValue<>() {
        @Override
        protected Method[] computeValue(Class<?> type) {
            RecordComponent[] comps = type.getRecordComponents();
            Method[] ms = new Method[comps.length];
            for (int i = 0; i < comps.length; i++) {
                ms[i] = comps[i].getAccessor();
                ms[i].setAccessible(true);
            }
            return ms;
        }
    };

    /**
     * The value of an enum constant as it renders and parses: what Jackson writes for it, which is its
     * {@code name()} unless the enum has a {@code @JsonValue}.
     */
    public static Object enumValue(Enum<?> constant) {
        return ENUM_VALUES.get(constant.getDeclaringClass())[constant.ordinal()];
    }

    /** @return the rendered values of all constants of an enum type, in declaration order */
    public static Object[] enumValues(Class<?> enumType) {
        return ENUM_VALUES.get(enumType).clone();
    }

    /**
     * Converts a Java value to a JSON-able tree (Map/List/String/Number/Boolean/null), as pydantic's
     * {@code dump_python(mode="json")} does for the equivalent Python value: records become objects in component
     * order, enums their value, {@code Optional}s their content or null, arrays and collections lists.
     */
    public static @Nullable Object jsonable(@Nullable Object v) {
        return jsonable(v, null);
    }

    /**
     * Like {@link #jsonable(Object)}, with a hook that may replace any value that is not a string, number or boolean
     * (at any depth) before it is converted: the adapters serialize DSPy's custom types through it.
     *
     * @param v    the value
     * @param hook returns its argument unchanged when it does not handle it, else a replacement (converted in turn);
     *             null for none
     * @return the JSON-able tree
     */
    public static @Nullable Object jsonable(@Nullable Object v, @Nullable UnaryOperator<Object> hook) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (hook != null) {
            Object r = hook.apply(v);
            if (r != v) {
                return jsonable(r, hook);
            }
        }
        if (v instanceof Character) {
            return v.toString();
        }
        if (v instanceof Optional<?> o) {
            return o.isPresent() ? jsonable(o.get(), hook) : null;
        }
        if (v instanceof Enum<?> e) {
            return enumValue(e);
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>(Math.max(4, m.size() * 2));
            for (Map.Entry<?, ?> en : m.entrySet()) {
                out.put(keyString(en.getKey()), jsonable(en.getValue(), hook));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object o : c) {
                out.add(jsonable(o, hook));
            }
            return out;
        }
        if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            List<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(jsonable(Array.get(v, i), hook));
            }
            return out;
        }
        if (v instanceof Record) {
            Method[] accessors = RECORD_ACCESSORS.get(v.getClass());
            Map<String, Object> out = new LinkedHashMap<>(accessors.length * 2);
            for (Method m : accessors) {
                try {
                    out.put(m.getName(), jsonable(m.invoke(v), hook));
                } catch (ReflectiveOperationException ex) {
                    throw new IllegalArgumentException("cannot read component '" + m.getName() + "' of record "
                            + v.getClass().getSimpleName() + ": " + ex.getMessage(), ex);
                }
            }
            return out;
        }
        if (v instanceof JsonNode node) {
            return Json.MAPPER.convertValue(node, Object.class);
        }
        try {
            Object converted = Json.MAPPER.convertValue(v, Object.class);
            return converted instanceof Map || converted instanceof List ? converted : v.toString();
        } catch (IllegalArgumentException ex) {
            return v.toString();
        }
    }

    private static String keyString(@Nullable Object k) {
        Object j = jsonable(k);
        if (j instanceof String s) {
            return s;
        }
        if (j == null) {
            return "null";
        }
        if (j instanceof Boolean b) {
            return b ? "true" : "false";
        }
        return str(j);
    }

    /** @return Python's {@code str()} of a JSON-able scalar or tree (lists and dicts render as Python repr) */
    public static String str(@Nullable Object j) {
        if (j == null) {
            return "None";
        }
        if (j instanceof String s) {
            return s;
        }
        if (j instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (j instanceof Double d) {
            return repr(d.doubleValue());
        }
        if (j instanceof Float f) {
            return repr(f.floatValue());
        }
        if (j instanceof Map || j instanceof List) {
            StringBuilder sb = new StringBuilder();
            appendRepr(j, sb);
            return sb.toString();
        }
        if (j instanceof BigDecimal bd) {
            return bd.toString();
        }
        return j.toString();
    }

    private static void appendRepr(@Nullable Object j, StringBuilder sb) {
        if (j instanceof String s) {
            appendStringRepr(s, sb);
        } else if (j instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                appendRepr(e.getKey(), sb);
                sb.append(": ");
                appendRepr(e.getValue(), sb);
            }
            sb.append('}');
        } else if (j instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                appendRepr(l.get(i), sb);
            }
            sb.append(']');
        } else {
            sb.append(str(j));
        }
    }

    /**
     * Appends Python's {@code repr()} of a string: single quotes unless it holds a single quote and no double;
     * the quote, the backslash, tab, line feed and carriage return escaped; other characters that are not
     * printable for Python ({@code str.isprintable()}: control, format, surrogate, private-use, unassigned and
     * separator characters other than the space) as <code>&#92;xhh</code>, <code>&#92;uhhhh</code> or
     * <code>&#92;Uhhhhhhhh</code>; everything else, non-ASCII included, as it is.
     */
    public static void appendStringRepr(String s, StringBuilder sb) {
        char q = (s.indexOf('\'') >= 0 && s.indexOf('"') < 0) ? '"' : '\'';
        sb.append(q);
        int n = s.length();
        for (int i = 0; i < n; ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c == q || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                appendHexEscape('x', c, 2, sb);
            } else if (c < 0x7f || isPrintable(c)) {
                sb.appendCodePoint(c);
            } else if (c <= 0xff) {
                appendHexEscape('x', c, 2, sb);
            } else if (c <= 0xffff) {
                appendHexEscape('u', c, 4, sb);
            } else {
                appendHexEscape('U', c, 8, sb);
            }
        }
        sb.append(q);
    }

    /**
     * CPython's {@code Py_UNICODE_ISPRINTABLE} for a non-ASCII code point: not in the categories Cc, Cf, Cs, Co,
     * Cn, Zl, Zp, Zs. (Java's Unicode tables may lag Python's by a version for newly assigned characters.)
     */
    private static boolean isPrintable(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                    Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SPACE_SEPARATOR -> {
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    private static void appendHexEscape(char kind, int c, int digits, StringBuilder sb) {
        sb.append('\\').append(kind);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            sb.append(HEX[(c >> shift) & 15]);
        }
    }

    // ---------------------------------------------------------------- json.dumps

    /**
     * {@code json.dumps(j, ensure_ascii=ensureAscii)} with the default separators {@code ", "} and {@code ": "}.
     *
     * @param j a JSON-able tree (see {@link #jsonable})
     */
    public static String dumps(@Nullable Object j, boolean ensureAscii) {
        StringBuilder sb = new StringBuilder(64);
        dumps(j, ensureAscii, sb);
        return sb.toString();
    }

    /** Appends {@code json.dumps(j, ensure_ascii=ensureAscii)} to {@code sb}. */
    public static void dumps(@Nullable Object j, boolean ensureAscii, StringBuilder sb) {
        if (j instanceof String s) {
            appendJsonString(s, ensureAscii, sb);
        } else if (j instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                appendJsonString(String.valueOf(e.getKey()), ensureAscii, sb);
                sb.append(": ");
                dumps(e.getValue(), ensureAscii, sb);
            }
            sb.append('}');
        } else if (j instanceof List<?> l) {
            sb.append('[');
            for (int i = 0, n = l.size(); i < n; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                dumps(l.get(i), ensureAscii, sb);
            }
            sb.append(']');
        } else {
            appendJsonScalar(j, sb);
        }
    }

    /**
     * {@code json.dumps(j, indent=2, ensure_ascii=ensureAscii)}: two spaces per level, {@code ","} at line ends,
     * {@code ": "} after keys, empty containers inline.
     *
     * @param j a JSON-able tree (see {@link #jsonable})
     * @param ensureAscii whether non-ASCII characters are written as <code>&#92;uXXXX</code> escapes (DSPy's
     *                    adapters pass {@code False})
     */
    public static String dumpsIndent2(@Nullable Object j, boolean ensureAscii) {
        StringBuilder sb = new StringBuilder(128);
        dumpsIndented(j, 0, ensureAscii, sb);
        return sb.toString();
    }

    private static void dumpsIndented(@Nullable Object j, int level, boolean ensureAscii, StringBuilder sb) {
        if (j instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                newline(level + 1, sb);
                appendJsonString(String.valueOf(e.getKey()), ensureAscii, sb);
                sb.append(": ");
                dumpsIndented(e.getValue(), level + 1, ensureAscii, sb);
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            newline(level, sb);
            sb.append('}');
        } else if (j instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                newline(level + 1, sb);
                dumpsIndented(l.get(i), level + 1, ensureAscii, sb);
                if (i < l.size() - 1) {
                    sb.append(',');
                }
            }
            newline(level, sb);
            sb.append(']');
        } else if (j instanceof String s) {
            appendJsonString(s, ensureAscii, sb);
        } else {
            appendJsonScalar(j, sb);
        }
    }

    private static void newline(int level, StringBuilder sb) {
        sb.append('\n');
        for (int i = 0; i < level; i++) {
            sb.append("  ");
        }
    }

    private static void appendJsonScalar(@Nullable Object j, StringBuilder sb) {
        if (j == null) {
            sb.append("null");
        } else if (j instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (j instanceof Double || j instanceof Float) {
            double d = ((Number) j).doubleValue();
            if (Double.isNaN(d)) {
                sb.append("NaN");
            } else if (Double.isInfinite(d)) {
                sb.append(d > 0 ? "Infinity" : "-Infinity");
            } else {
                sb.append(j instanceof Float f ? repr(f.floatValue()) : repr(d));
            }
        } else if (j instanceof Integer || j instanceof Long || j instanceof Short || j instanceof Byte
                || j instanceof BigInteger) {
            sb.append(j);
        } else if (j instanceof BigDecimal bd) {
            appendJsonString(bd.toString(), false, sb);
        } else if (j instanceof Number n) {
            sb.append(repr(n.doubleValue()));
        } else {
            appendJsonString(j.toString(), false, sb);
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Appends a JSON string literal escaped as Python's {@code json} module escapes it. */
    public static void appendJsonString(String s, boolean ensureAscii, StringBuilder sb) {
        sb.append('"');
        int n = s.length();
        int run = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean plain = ensureAscii ? (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\')
                    : (c >= 0x20 && c != '"' && c != '\\');
            if (plain) {
                continue;
            }
            sb.append(s, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> sb.append("\\u").append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15])
                        .append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
            }
        }
        sb.append(s, run, n);
        sb.append('"');
    }

    /** @return an unmodifiable view of a fresh list (nulls allowed) */
    public static <T extends @Nullable Object> List<T> unmodifiable(List<T> l) {
        return Collections.unmodifiableList(l);
    }
}
