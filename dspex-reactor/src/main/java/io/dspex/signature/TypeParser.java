package io.dspex.signature;

import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parses DSPy type strings ({@code list[str]}, {@code Optional[int]}, {@code Literal['a', 'b']}, {@code list[Tool]},
 * ...). Names other than Python's and {@code typing}'s resolve first in the caller's names (DSPy's
 * {@code custom_types}), then in {@link #BUILT_IN}: DSPy's own custom types, by the class that implements each,
 * loaded by name so that this package depends on none of the packages that hold them.
 */
final class TypeParser {

    /**
     * DSPy's custom type names and the classes that implement them. A new built-in type is one more line here
     * (its class implements {@link CustomType}); the class is loaded when a type string first names it.
     */
    static final Map<String, String> BUILT_IN = Map.of(
            "History", "io.dspex.types.History",
            "Image", "io.dspex.types.Image",
            "Tool", "io.dspex.tool.Tool",
            "ToolCalls", "io.dspex.tool.ToolCalls");

    private final String text;
    /** The string named in error messages and the offset of {@link #text} inside it. */
    private final String reported;
    private final int offset;
    private final Map<String, ? extends Type> names;
    private int pos;

    private TypeParser(String text, String reported, int offset, Map<String, ? extends Type> names) {
        this.text = text;
        this.reported = reported;
        this.offset = offset;
        this.names = names;
    }

    /**
     * @param text     the type text
     * @param reported the whole string to report in errors (the spec, or the type text itself)
     * @param offset   where {@code text} starts in {@code reported}
     * @param names    the caller's type names (DSPy's {@code custom_types}); they win over the built-in ones
     */
    static TypeModel parse(String text, String reported, int offset, Map<String, ? extends Type> names) {
        TypeParser p = new TypeParser(text, reported, offset, names);
        p.skipWs();
        if (p.pos >= text.length()) {
            throw p.error("missing type after ':'", p.pos);
        }
        TypeModel t = p.union();
        p.skipWs();
        if (p.pos < text.length()) {
            char c = text.charAt(p.pos);
            if (c == ']' || c == ')') {
                throw p.error("unbalanced brackets: unexpected '" + c + "'", p.pos);
            }
            throw p.error("unexpected '" + c + "' after type", p.pos);
        }
        return t;
    }

    private SignatureException error(String problem, int at) {
        return new SignatureException(problem, reported, offset + at + 1);
    }

    private void skipWs() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    /** type ('|' type)* — PEP 604 unions; only {@code T | None} is supported. */
    private TypeModel union() {
        int start = pos;
        Object first = typeOrNone();
        skipWs();
        if (pos < text.length() && text.charAt(pos) == '|') {
            List<Object> parts = new ArrayList<>();
            parts.add(first);
            while (pos < text.length() && text.charAt(pos) == '|') {
                pos++;
                skipWs();
                parts.add(typeOrNone());
                skipWs();
            }
            return unionOf(parts, start);
        }
        if (first == null) {
            throw error("'None' is not a field type on its own", start);
        }
        return (TypeModel) first;
    }

    private TypeModel unionOf(List<Object> parts, int at) {
        TypeModel inner = null;
        boolean hasNone = false;
        for (Object o : parts) {
            if (o == null) {
                hasNone = true;
            } else if (inner == null) {
                inner = (TypeModel) o;
            } else if (!inner.equals(o)) {
                throw error("unknown type: a union of several types is not supported (only Optional[T], "
                        + "Union[T, None] or T | None)", at);
            }
        }
        if (inner == null) {
            throw error("'None' is not a field type on its own", at);
        }
        return hasNone ? TypeModel.optional(inner) : inner;
    }

    /** @return a TypeModel, or null for {@code None} */
    private @Nullable Object typeOrNone() {
        skipWs();
        int start = pos;
        String name = identifier();
        if (name.isEmpty()) {
            if (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == '[' || c == ']') {
                    throw error("unbalanced brackets: unexpected '" + c + "'", pos);
                }
                throw error("expected a type name, found '" + c + "'", pos);
            }
            throw error("expected a type name", pos);
        }
        if (name.equals("None")) {
            return null;
        }
        skipWs();
        boolean hasArgs = pos < text.length() && text.charAt(pos) == '[';
        int open = pos;
        switch (name) {
            case "str":
                return noArgs(name, TypeModel.STR, hasArgs, start);
            case "int":
                return noArgs(name, TypeModel.INT, hasArgs, start);
            case "float":
                return noArgs(name, TypeModel.FLOAT, hasArgs, start);
            case "bool":
                return noArgs(name, TypeModel.BOOL, hasArgs, start);
            case "Any":
                return noArgs(name, TypeModel.ANY, hasArgs, start);
            case "list":
            case "List": {
                if (!hasArgs) {
                    return TypeModel.bareList();
                }
                List<Object> args = args(open);
                arity(name, args, 1, start);
                return TypeModel.list(notNone(args.get(0), start));
            }
            case "dict":
            case "Dict": {
                if (!hasArgs) {
                    return TypeModel.bareDict();
                }
                List<Object> args = args(open);
                arity(name, args, 2, start);
                return TypeModel.dict(notNone(args.get(0), start), notNone(args.get(1), start));
            }
            case "Optional": {
                if (!hasArgs) {
                    throw error("Optional needs a type argument, e.g. Optional[str]", start);
                }
                List<Object> args = args(open);
                arity(name, args, 1, start);
                return TypeModel.optional(notNone(args.get(0), start));
            }
            case "Union": {
                if (!hasArgs) {
                    throw error("Union needs type arguments, e.g. Union[str, None]", start);
                }
                return unionOf(args(open), start);
            }
            case "Literal": {
                if (!hasArgs) {
                    throw error("Literal needs values, e.g. Literal['yes', 'no']", start);
                }
                return literal(open);
            }
            default:
                return named(name, hasArgs, start);
        }
    }

    /** A name that is not Python's or typing's: the caller's, else one of DSPy's custom types. */
    private TypeModel named(String name, boolean hasArgs, int start) {
        Type own = names.get(name);
        if (own != null) {
            TypeModel t;
            try {
                t = JavaTypes.model(own);
            } catch (IllegalArgumentException e) {
                throw error("type '" + name + "' names " + own.getTypeName() + ", which cannot be a field type: "
                        + e.getMessage(), start);
            }
            return noArgs(name, t, hasArgs, start);
        }
        String builtIn = BUILT_IN.get(name.startsWith("dspy.") ? name.substring(5) : name);
        if (builtIn != null) {
            Class<?> c;
            try {
                c = Class.forName(builtIn, true, TypeParser.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                throw error("type '" + name + "' needs class " + builtIn + ", which cannot be loaded: " + e, start);
            }
            return noArgs(name, JavaTypes.model(c), hasArgs, start);
        }
        throw error("unknown type '" + name + "' (known: str, int, float, bool, list[T], dict[K, V], "
                + "Literal[...], Optional[T], Any, " + String.join(", ", BUILT_IN.keySet().stream().sorted().toList())
                + (names.isEmpty() ? "" : ", and your names " + names.keySet().stream().sorted().toList())
                + "; pass your own types by name to Signature.parse(spec, instructions, types))", start);
    }

    private TypeModel noArgs(String name, TypeModel t, boolean hasArgs, int start) {
        if (hasArgs) {
            throw error("type '" + name + "' takes no type arguments", start);
        }
        return t;
    }

    private TypeModel notNone(Object o, int at) {
        if (o == null) {
            throw error("'None' is only allowed in Optional[...] or Union[..., None]", at);
        }
        return (TypeModel) o;
    }

    private void arity(String name, List<Object> args, int n, int at) {
        if (args.size() != n) {
            throw error("type '" + name + "' takes " + n + " type argument" + (n == 1 ? "" : "s") + ", got "
                    + args.size(), at);
        }
    }

    private String identifier() {
        int s = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_'
                || text.charAt(pos) == '.')) {
            pos++;
        }
        String id = text.substring(s, pos);
        // typing.List, typing.Optional ... are accepted as their short names
        if (id.startsWith("typing.")) {
            id = id.substring(7);
        }
        return id;
    }

    /** Parses {@code [T, U, ...]} starting at the '['. */
    private List<Object> args(int open) {
        pos = open + 1;
        List<Object> out = new ArrayList<>();
        while (true) {
            skipWs();
            if (pos >= text.length()) {
                throw error("unbalanced brackets: '[' is never closed", open);
            }
            if (text.charAt(pos) == ']' && !out.isEmpty()) {
                pos++;
                return out;
            }
            int at = pos;
            Object t = typeOrNone();
            skipWs();
            if (pos < text.length() && text.charAt(pos) == '|') {
                List<Object> parts = new ArrayList<>();
                parts.add(t);
                while (pos < text.length() && text.charAt(pos) == '|') {
                    pos++;
                    parts.add(typeOrNone());
                    skipWs();
                }
                t = unionOf(parts, at);
            }
            out.add(t);
            skipWs();
            if (pos >= text.length()) {
                throw error("unbalanced brackets: '[' is never closed", open);
            }
            char c = text.charAt(pos);
            if (c == ',') {
                pos++;
            } else if (c != ']') {
                throw error("expected ',' or ']' but found '" + c + "'", pos);
            }
        }
    }

    private TypeModel literal(int open) {
        pos = open + 1;
        List<Object> values = new ArrayList<>();
        while (true) {
            skipWs();
            if (pos >= text.length()) {
                throw error("unbalanced brackets: '[' is never closed", open);
            }
            char c = text.charAt(pos);
            if (c == ']') {
                if (values.isEmpty()) {
                    throw error("Literal needs at least one value", open);
                }
                pos++;
                return TypeModel.literal(values);
            }
            if (c == '\'' || c == '"') {
                values.add(quoted(c));
            } else if (c == '-' || c == '+' || Character.isDigit(c)) {
                int s = pos;
                pos++;
                while (pos < text.length() && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
                    pos++;
                }
                String num = text.substring(s, pos).replace("_", "");
                try {
                    long l = Long.parseLong(num.startsWith("+") ? num.substring(1) : num);
                    values.add(l == (int) l ? (Object) (int) l : (Object) l);
                } catch (NumberFormatException e) {
                    throw error("invalid Literal value '" + num + "'", s);
                }
            } else {
                int s = pos;
                String id = identifier();
                if (id.equals("True") || id.equals("False")) {
                    values.add(id.equals("True"));
                } else {
                    throw error("invalid Literal value '" + (id.isEmpty() ? String.valueOf(c) : id)
                            + "': use quoted strings, integers, True or False", s);
                }
            }
            skipWs();
            if (pos >= text.length()) {
                throw error("unbalanced brackets: '[' is never closed", open);
            }
            char n = text.charAt(pos);
            if (n == ',') {
                pos++;
            } else if (n != ']') {
                throw error("expected ',' or ']' in Literal but found '" + n + "'", pos);
            }
        }
    }

    private String quoted(char q) {
        int s = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == q) {
                return sb.toString();
            }
            if (c == '\\' && pos < text.length()) {
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    default -> sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
        throw error("unterminated string in Literal", s);
    }
}
