package io.dspex.samples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@link SimulatedModel}'s behaviour on a ReAct prompt: it reads the tools from the instructions and the
 * trajectory from the user message, and chooses the next step by the rules listed in {@link SimulatedModel}. Nothing
 * here knows the sample's tools or data: only what the prompt says.
 */
final class SimulatedAgent {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOOL_LINE = Pattern.compile("^\\s*\\((\\d+)\\) ([A-Za-z0-9_-]+)"
            + "(?:, whose description is <desc>(.*?)</desc>)?\\. It takes arguments (\\{.*})\\.$");
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");
    private static final Pattern WORD = Pattern.compile("[\\p{L}][\\p{L}\\p{N}_-]*");
    private static final Pattern OPERATOR = Pattern.compile("\\b(plus|minus|times|divided by)\\b");
    private static final Set<String> NOT_NAMES = Set.of("What", "How", "Which", "Who", "When", "Where", "Why", "Is",
            "Are", "Call", "Use", "The", "I", "Then", "And");

    /** A tool as the instructions list it: name, description, argument names to JSON types. */
    record ToolSpec(String name, String description, Map<String, String> args) {
    }

    /** One step of the trajectory. */
    record Step(String tool, String args, String observation) {
        boolean failed() {
            return observation.startsWith("Execution error in ");
        }
    }

    private SimulatedAgent() {
    }

    /** @return the tools listed in a ReAct system message, in order, {@code finish} included */
    static List<ToolSpec> tools(String system) {
        List<ToolSpec> out = new ArrayList<>();
        for (String line : system.split("\n")) {
            Matcher m = TOOL_LINE.matcher(line);
            if (m.matches()) {
                out.add(new ToolSpec(m.group(2), m.group(3) == null ? "" : m.group(3), args(m.group(4))));
            }
        }
        return out;
    }

    /** The top-level keys of a Python dict repr and the {@code 'type'} of each value. */
    static Map<String, String> args(String repr) {
        Map<String, String> out = new LinkedHashMap<>();
        int depth = 0;
        int valueStart = -1;
        String key = null;
        char quote = 0;
        StringBuilder token = new StringBuilder();
        for (int i = 0; i < repr.length(); i++) {
            char c = repr.charAt(i);
            if (quote != 0) {
                if (c == '\\' && i + 1 < repr.length()) {
                    token.append(repr.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                } else {
                    token.append(c);
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                token.setLength(0);
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 2 && c == '}' && key != null) {
                    out.put(key, typeOf(repr.substring(valueStart, i + 1)));
                    key = null;
                }
                depth--;
            } else if (c == ':' && depth == 1 && key == null) {
                key = token.toString();
                valueStart = i + 1;
            }
        }
        return out;
    }

    private static String typeOf(String valueRepr) {
        Matcher m = Pattern.compile("'type': '(\\w+)'").matcher(valueRepr);
        return m.find() ? m.group(1) : "any";
    }

    /** The text of a trajectory block; the last one runs into the output requirements, which are cut off. */
    private static String block(Map<String, String> sections, String key, String fallback) {
        String v = sections.getOrDefault(key, fallback);
        int cut = v.indexOf("\n\nRespond with ");
        return cut < 0 ? v : v.substring(0, cut).strip();
    }

    /** @return the steps of the trajectory, in order, from the user message's sections */
    static List<Step> trajectory(Map<String, String> sections) {
        List<Step> out = new ArrayList<>();
        for (int i = 0; sections.containsKey("tool_name_" + i) || sections.containsKey("thought_" + i); i++) {
            out.add(new Step(block(sections, "tool_name_" + i, ""), block(sections, "tool_args_" + i, "{}"),
                    block(sections, "observation_" + i, "")));
        }
        // steps dropped by truncation leave a gap at the start: read from the first one present
        if (out.isEmpty()) {
            for (String k : sections.keySet()) {
                if (k.startsWith("tool_name_")) {
                    String i = k.substring("tool_name_".length());
                    out.add(new Step(block(sections, k, ""), block(sections, "tool_args_" + i, "{}"),
                            block(sections, "observation_" + i, "")));
                }
            }
        }
        return out;
    }

    /** The next step: thought, tool name and arguments (a JSON object's text). */
    static Map<String, String> next(String question, List<ToolSpec> tools, List<Step> done) {
        Map<String, String> out = new LinkedHashMap<>();
        // Rule 1: a tool the question names, not called yet
        for (ToolSpec t : tools) {
            if (!t.name().equals("finish") && mentions(question, t.name()) && calls(done, t.name()) == 0) {
                Map<String, Object> args = fill(t, question);
                return step(out, "The question asks for the " + t.name() + " tool, so I call it.", t.name(), args);
            }
        }
        // Rule 2: look up each name in the question
        ToolSpec lookup = find(tools, "look");
        List<String> names = names(question);
        if (lookup != null && !lookup.args().isEmpty()) {
            String argName = lookup.args().keySet().iterator().next();
            for (String name : names) {
                if (!lookedUp(done, lookup.name(), name)) {
                    return step(out, "I need facts about " + name + ", so I look it up with " + lookup.name() + ".",
                            lookup.name(), Map.of(argName, name));
                }
            }
        }
        // Rule 3: compute what the question asks
        ToolSpec calc = find(tools, "arithmetic");
        Matcher op = OPERATOR.matcher(question);
        if (calc != null && !calc.args().isEmpty() && op.find() && calls(done, calc.name()) == 0) {
            String expression = expression(question, op.group(1), names, done, lookup);
            if (expression != null) {
                String argName = calc.args().keySet().iterator().next();
                return step(out, "Now I compute " + expression + " with " + calc.name() + ".", calc.name(),
                        Map.of(argName, expression));
            }
        }
        // Rule 4: finish
        String thought = done.isEmpty() ? "None of the tools helps with this question, so I finish."
                : "I have what I need: " + lastResult(done) + ".";
        return step(out, thought, "finish", Map.of());
    }

    private static Map<String, String> step(Map<String, String> out, String thought, String tool,
                                            Map<String, ?> args) {
        out.put("next_thought", thought);
        out.put("next_tool_name", tool);
        try {
            out.put("next_tool_args", JSON.writeValueAsString(args));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    private static boolean mentions(String question, String word) {
        return Pattern.compile("(?<![\\w-])" + Pattern.quote(word) + "(?![\\w-])").matcher(question).find();
    }

    private static int calls(List<Step> done, String tool) {
        int n = 0;
        for (Step s : done) {
            if (s.tool().equals(tool)) {
                n++;
            }
        }
        return n;
    }

    private static ToolSpec find(List<ToolSpec> tools, String inDescription) {
        for (ToolSpec t : tools) {
            if (t.description().toLowerCase(Locale.ROOT).contains(inDescription)) {
                return t;
            }
        }
        return null;
    }

    /** Capitalized words of the question that are not its first word or a question word. */
    static List<String> names(String question) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(question);
        boolean first = true;
        while (m.find()) {
            String w = m.group();
            if (!first && Character.isUpperCase(w.charAt(0)) && !NOT_NAMES.contains(w) && !out.contains(w)
                    && !insideQuotes(question, m.start())) {
                out.add(w);
            }
            first = false;
        }
        return out;
    }

    private static boolean insideQuotes(String text, int at) {
        int quotes = 0;
        for (int i = 0; i < at; i++) {
            if (text.charAt(i) == '"') {
                quotes++;
            }
        }
        return quotes % 2 == 1;
    }

    private static boolean lookedUp(List<Step> done, String tool, String name) {
        for (Step s : done) {
            if (s.tool().equals(tool) && s.args().contains("\"" + name + "\"")) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, Object> fill(ToolSpec t, String question) {
        Map<String, Object> args = new LinkedHashMap<>();
        Matcher q = QUOTED.matcher(question);
        String text = q.find() ? q.group(1) : question;
        Matcher n = NUMBER.matcher(question);
        String number = n.find() ? n.group() : null;
        t.args().forEach((name, type) -> {
            switch (type) {
                case "string" -> args.put(name, text);
                case "integer" -> {
                    if (number != null) {
                        args.put(name, (long) Double.parseDouble(number));
                    }
                }
                case "number" -> {
                    if (number != null) {
                        args.put(name, Double.parseDouble(number));
                    }
                }
                case "boolean" -> args.put(name, true);
                default -> { }
            }
        });
        return args;
    }

    /**
     * The operands in question order: numbers written in it, and for each name the value, in what was looked up for
     * it, of the field the question mentions; joined by the operator. Null when an operand is missing.
     */
    private static String expression(String question, String operator, List<String> names, List<Step> done,
                                     ToolSpec lookup) {
        List<int[]> positions = new ArrayList<>();
        List<String> operands = new ArrayList<>();
        Matcher n = NUMBER.matcher(question);
        while (n.find()) {
            positions.add(new int[] {n.start(), operands.size()});
            operands.add(n.group());
        }
        for (String name : names) {
            String value = fieldValue(question, name, done, lookup);
            if (value == null) {
                return null;
            }
            positions.add(new int[] {question.indexOf(name), operands.size()});
            operands.add(value);
        }
        if (operands.size() < 2) {
            return null;
        }
        positions.sort((a, b) -> Integer.compare(a[0], b[0]));
        String symbol = switch (operator) {
            case "plus" -> "+";
            case "minus" -> "-";
            case "times" -> "*";
            default -> "/";
        };
        StringBuilder sb = new StringBuilder();
        for (int[] p : positions) {
            sb.append(sb.length() == 0 ? "" : " " + symbol + " ").append(operands.get(p[1]));
        }
        return sb.toString();
    }

    private static String fieldValue(String question, String name, List<Step> done, ToolSpec lookup) {
        if (lookup == null) {
            return null;
        }
        for (Step s : done) {
            if (s.tool().equals(lookup.name()) && s.args().contains("\"" + name + "\"") && !s.failed()) {
                try {
                    JsonNode row = JSON.readTree(s.observation());
                    var fields = row.fields();
                    while (fields.hasNext()) {
                        var f = fields.next();
                        String key = f.getKey();
                        String stem = key.contains("_") ? key.substring(0, key.indexOf('_')) : key;
                        if (f.getValue().isNumber() && (mentions(question, key) || mentions(question, stem))) {
                            return f.getValue().asText();
                        }
                    }
                } catch (java.io.IOException notJson) {
                    return null;
                }
            }
        }
        return null;
    }

    private static String lastResult(List<Step> done) {
        for (int i = done.size() - 1; i >= 0; i--) {
            if (!done.get(i).failed() && !done.get(i).tool().equals("finish")) {
                return done.get(i).tool() + " gave " + done.get(i).observation();
            }
        }
        return "every tool call failed";
    }

    /** The extraction: the answer is the result of the computing tool, else of the last tool that succeeded. */
    static Map<String, String> extract(List<Step> done, List<String> outputs) {
        Step answer = null;
        List<String> did = new ArrayList<>();
        for (Step s : done) {
            if (s.tool().equals("finish")) {
                continue;
            }
            did.add(s.tool() + " " + s.args() + (s.failed() ? " (failed)" : " gave " + s.observation()));
            if (!s.failed()) {
                answer = s;
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String f : outputs) {
            if (f.equals("reasoning")) {
                out.put(f, did.isEmpty() ? "No tool was used, so I cannot tell."
                        : "I called " + String.join("; then ", did) + ".");
            } else {
                out.put(f, answer == null ? "I don't know" : answer.observation());
            }
        }
        return out;
    }
}
