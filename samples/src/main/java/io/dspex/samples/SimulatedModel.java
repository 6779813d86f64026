package io.dspex.samples;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.lm.Message;
import io.dspex.test.ParsedRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The model the samples talk to when no provider is configured: a deterministic stand-in for an LLM, plugged into
 * the test kit's {@link io.dspex.test.MockLmServer} so that every call still goes over real HTTP in DSPy's prompt
 * format. It is honest: it never sees a dataset or a label, only the prompt it receives, and it decides as follows.
 *
 * <ol>
 *   <li><b>Task.</b> From the system message it reads the output fields (``1. `answer` (str): ...``). From the last
 *       user message it reads the input blocks ({@code [[ ## question ## ]]}); the question is the {@code question}
 *       field, else the first input.</li>
 *   <li><b>Context.</b> Given a {@code context} and a {@code question} input, it answers from the context instead
 *       ({@link SimulatedContextReader} has those rules).</li>
 *   <li><b>Skill.</b> It does integer arithmetic on questions of the form "What is A plus|minus|times|divided by
 *       B?" (digits, exact division only). Any other question gets "I don't know" and a reasoning that says why.</li>
 *   <li><b>Style — what few-shot demos teach it.</b> The demos are the user/assistant turns between the system
 *       message and the last user message. The simulated model writes its answer as <b>digits</b> ({@code 42}),
 *       except that it <b>spells a number out in words</b> ({@code seven}) when the prompt contains a demo whose
 *       answer spells out a number at least as large. With no demos it always answers in digits.</li>
 *   <li><b>Instructions.</b> Instructions that say numbers from A to B are written in words teach the same as a
 *       demo spelling out B ({@link SimulatedInstructions}); an instruction optimizer's own prompts are answered by
 *       {@link SimulatedProposerModel}, and a GEPA reflection prompt by {@link SimulatedReflectionModel}.</li>
 *   <li><b>Format.</b> It replies in the ChatAdapter's format: one {@code [[ ## field ## ]]} block per output field
 *       in the system message's order, then {@code [[ ## completed ## ]]}; a {@code reasoning} field (what
 *       {@code ChainOfThought} adds) gets the working ("12 times 3 is 36."). When the system message asks for a
 *       JSON object (the JsonAdapter), it answers with one.</li>
 *   <li><b>Agent (ReAct).</b> When the output fields are {@code next_thought}, {@code next_tool_name} and
 *       {@code next_tool_args}, it acts as the agent. It reads the tools from the instructions' list (DSPy's
 *       {@code (1) name, whose description is <desc>...</desc>. It takes arguments {...}.}: each tool's name,
 *       description and argument names and JSON types), and what it did so far from the trajectory's blocks
 *       ({@code tool_name_i}, {@code tool_args_i}, {@code observation_i}). It picks the first rule that applies:
 *       <ol>
 *         <li>a tool the question names (as a word) and it has not called yet: that tool, its string arguments set to
 *             the first "double-quoted" text of the question (else the whole question), its integer and number
 *             arguments to the first number in it;</li>
 *         <li>a name in the question (a capitalized word that is not its first word, a question word or inside
 *             quotes) not yet passed to the tool whose description mentions "look": that tool, its first argument set
 *             to the name;</li>
 *         <li>an operator word in the question (plus, minus, times, divided by) and a tool whose description mentions
 *             "arithmetic", not yet called: that tool, its first argument set to an expression of the question's
 *             operands in order — its numbers, and for each name the number, in that name's looked-up JSON object,
 *             of the field the question mentions (by key, or the key's part before an underscore);</li>
 *         <li>else {@code finish}.</li>
 *       </ol>
 *       It never calls a tool the instructions do not list and never invents a value: a step it cannot take (an
 *       operand that was not found) falls through to the next rule.</li>
 *   <li><b>Extraction.</b> When {@code trajectory} is an input and the outputs are the task's (ReAct's extraction),
 *       it answers with the observation of the last tool call that did not fail, and reasons by listing the calls.</li>
 * </ol>
 *
 * <p>The bundled dataset ({@code arithmetic.jsonl}) follows a house style that a real model would also have to
 * learn from examples: numbers from zero to nine are written in words, larger ones in digits. So an unoptimized
 * program gets only the answers of 10 and above right, and a program whose prompt carries demos that spell out
 * small numbers — what {@code BootstrapFewShot} installs — gets them all. Token usage is counted by the server (one
 * token per whitespace-separated word, plus 3 per message).
 *
 * <pre>{@code
 * MockLmServer server = MockLmServer.create().reply(new SimulatedModel()).start();
 * }</pre>
 */
public final class SimulatedModel implements Function<ParsedRequest, String> {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern FIELD_LINE = Pattern.compile("^\\d+\\. `([^`]+)` \\((.*?)\\):.*$");
    private static final Pattern HEADER = Pattern.compile("^\\[\\[ ## (\\w+) ## \\]\\]\\s*(.*)$");
    private static final Pattern ARITHMETIC = Pattern.compile(
            "(?i).*?\\bwhat\\s+is\\s+(-?\\d+)\\s*(plus|\\+|minus|-|times|multiplied\\s+by|x|\\*|divided\\s+by|/)\\s*(-?\\d+)\\s*\\??.*");
    private static final String[] ONES = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
        "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen"};
    private static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
        "ninety"};

    /** Creates the model; it is stateless and may answer any number of requests concurrently. */
    public SimulatedModel() {
    }

    /** A field of the signature as the system message lists it. */
    record FieldSpec(String name, String type) {
    }

    /**
     * Answers one chat request.
     *
     * @param request the request as the server parsed it
     * @return the reply text in the format the prompt asks for
     */
    @Override
    public String apply(ParsedRequest request) {
        return answer(request.messages());
    }

    /**
     * Answers a conversation (what {@link #apply} does with the request's messages).
     *
     * @param messages the chat messages: system, demo turns, final user turn
     * @return the reply text
     */
    public String answer(List<Message> messages) {
        if (SimulatedReflectionModel.handles(messages)) {
            return SimulatedReflectionModel.answer(messages.get(0).content());
        }
        String system = "";
        int first = 0;
        if (!messages.isEmpty() && messages.get(0).role() == Message.Role.SYSTEM) {
            system = messages.get(0).content();
            first = 1;
        }
        if (SimulatedProposerModel.handles(system)) {
            return SimulatedProposerModel.answer(messages); // an instruction optimizer's prompt
        }
        int last = messages.size() - 1;
        while (last >= first && messages.get(last).role() != Message.Role.USER) {
            last--;
        }
        List<FieldSpec> inputs = fields(system, "Your input fields are:", "Your output fields are:");
        List<FieldSpec> outputs = fields(system, "Your output fields are:", "All interactions will be structured");
        if (outputs.isEmpty()) {
            outputs = List.of(new FieldSpec("answer", "str"));
        }
        Map<String, String> given = last >= first ? sections(messages.get(last).content()) : Map.of();
        String question = given.containsKey("question") ? given.get("question")
                : !inputs.isEmpty() && given.containsKey(inputs.get(0).name()) ? given.get(inputs.get(0).name())
                : last >= first ? messages.get(last).content() : "";
        boolean jsonMode = system.contains("Outputs will be a JSON object");
        List<String> outputNames = outputs.stream().map(FieldSpec::name).toList();
        if (outputNames.contains("next_tool_name")) {
            Map<String, String> step = SimulatedAgent.next(question.strip(), SimulatedAgent.tools(system),
                    SimulatedAgent.trajectory(given));
            Map<String, String> out = new LinkedHashMap<>();
            for (String f : outputNames) {
                out.put(f, step.getOrDefault(f, ""));
            }
            return jsonMode ? json(out) : chat(out);
        }
        if (inputs.stream().anyMatch(f -> f.name().equals("trajectory"))) {
            Map<String, String> out = SimulatedAgent.extract(SimulatedAgent.trajectory(given), outputNames);
            return jsonMode ? json(out) : chat(out);
        }
        String answerField = answerField(outputs);
        long spellUpTo = Math.max(largestSpelledOut(messages.subList(first, Math.max(first, last)), answerField),
                SimulatedInstructions.spellUpTo(system).orElse(-1));

        Map<String, String> values = SimulatedContextReader.applies(given) ? SimulatedContextReader.answer(given)
                : solve(question.strip(), spellUpTo);
        Map<String, String> out = new LinkedHashMap<>();
        for (FieldSpec f : outputs) {
            if (f.name().equals("reasoning")) {
                out.put(f.name(), values.get("reasoning"));
            } else if (f.name().equals(answerField)) {
                out.put(f.name(), values.get("answer"));
            } else {
                out.put(f.name(), filler(f, values));
            }
        }
        return jsonMode ? json(out) : chat(out);
    }

    private static String answerField(List<FieldSpec> outputs) {
        for (FieldSpec f : outputs) {
            if (f.name().equals("answer")) {
                return f.name();
            }
        }
        for (FieldSpec f : outputs) {
            if (!f.name().equals("reasoning")) {
                return f.name();
            }
        }
        return "answer";
    }

    private static String filler(FieldSpec f, Map<String, String> values) {
        String t = f.type().toLowerCase(Locale.ROOT);
        String number = values.get("number");
        if (t.equals("int") || t.equals("float")) {
            return number == null ? "0" : number;
        }
        if (t.equals("bool")) {
            return number == null ? "False" : "True";
        }
        return values.get("answer");
    }

    /** The largest number that a demo's answer spells out in words, or -1 when none does. */
    static long largestSpelledOut(List<Message> demoTurns, String answerField) {
        long max = -1;
        for (Message m : demoTurns) {
            if (m.role() != Message.Role.ASSISTANT) {
                continue;
            }
            String shown = sections(m.content()).get(answerField);
            if (shown == null) {
                shown = jsonField(m.content(), answerField);
            }
            OptionalLong n = shown == null ? OptionalLong.empty() : wordsToNumber(shown);
            if (n.isPresent()) {
                max = Math.max(max, n.getAsLong());
            }
        }
        return max;
    }

    private static Map<String, String> solve(String question, long spellUpTo) {
        Map<String, String> v = new LinkedHashMap<>();
        Matcher m = ARITHMETIC.matcher(question.replace('\n', ' '));
        if (!m.matches()) {
            v.put("reasoning", "This simulated model only does integer arithmetic of the form \"What is A plus B?\" "
                    + "(plus, minus, times, divided by), and this question is not one of those.");
            v.put("answer", "I don't know");
            return v;
        }
        long a = Long.parseLong(m.group(1));
        long b = Long.parseLong(m.group(3));
        String op = m.group(2).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        long r;
        String verb;
        switch (op) {
            case "plus", "+" -> {
                r = a + b;
                verb = "plus";
            }
            case "minus", "-" -> {
                r = a - b;
                verb = "minus";
            }
            case "times", "multiplied by", "x", "*" -> {
                r = a * b;
                verb = "times";
            }
            default -> {
                verb = "divided by";
                if (b == 0 || a % b != 0) {
                    v.put("reasoning", a + " divided by " + b + " is not a whole number, and this simulated model "
                            + "only does integer arithmetic.");
                    v.put("answer", "I don't know");
                    return v;
                }
                r = a / b;
            }
        }
        boolean spell = r >= 0 && r <= spellUpTo && r < 100;
        String written = spell ? numberToWords(r) : Long.toString(r);
        String reasoning = a + " " + verb + " " + b + " is " + r + ".";
        if (spell) {
            reasoning += " The examples spell out numbers up to " + numberToWords(spellUpTo) + ", so I write it as \""
                    + written + "\".";
        }
        v.put("reasoning", reasoning);
        v.put("answer", written);
        v.put("number", Long.toString(r));
        return v;
    }

    /** Parses {@code [[ ## name ## ]]} sections as the ChatAdapter does (first occurrence wins, values stripped). */
    static Map<String, String> sections(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String current = null;
        StringBuilder body = new StringBuilder();
        for (String line : text.split("\\r\\n|\\r|\\n", -1)) {
            Matcher h = HEADER.matcher(line);
            if (h.matches()) {
                if (current != null) {
                    out.putIfAbsent(current, body.toString().strip());
                }
                current = h.group(1);
                body.setLength(0);
                body.append(h.group(2)).append('\n');
            } else if (current != null) {
                body.append(line).append('\n');
            }
        }
        if (current != null) {
            out.putIfAbsent(current, body.toString().strip());
        }
        out.remove("completed");
        return out;
    }

    private static List<FieldSpec> fields(String system, String from, String to) {
        List<FieldSpec> out = new ArrayList<>();
        int start = system.indexOf(from);
        if (start < 0) {
            return out;
        }
        int end = system.indexOf(to, start);
        String block = system.substring(start + from.length(), end < 0 ? system.length() : end);
        for (String line : block.split("\n")) {
            Matcher m = FIELD_LINE.matcher(line.strip());
            if (m.matches()) {
                out.add(new FieldSpec(m.group(1), m.group(2)));
            }
        }
        return out;
    }

    private static String jsonField(String text, String field) {
        int brace = text.indexOf('{');
        if (brace < 0) {
            return null;
        }
        try {
            var node = JSON.readTree(text.substring(brace));
            return node != null && node.has(field) ? node.get(field).asText() : null;
        } catch (java.io.IOException notJson) {
            return null;
        }
    }

    private static String chat(Map<String, String> out) {
        StringBuilder sb = new StringBuilder();
        out.forEach((k, v) -> sb.append("[[ ## ").append(k).append(" ## ]]\n").append(v).append("\n\n"));
        return sb.append("[[ ## completed ## ]]").toString();
    }

    private static String json(Map<String, String> out) {
        try {
            return JSON.writeValueAsString(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * @param n a number from 0 to 99
     * @return it in English words, e.g. {@code forty-two}
     * @throws IllegalArgumentException outside 0..99
     */
    public static String numberToWords(long n) {
        if (n < 0 || n > 99) {
            throw new IllegalArgumentException("only 0..99 can be spelled out, got " + n);
        }
        if (n < 20) {
            return ONES[(int) n];
        }
        String tens = TENS[(int) (n / 10)];
        return n % 10 == 0 ? tens : tens + "-" + ONES[(int) (n % 10)];
    }

    /**
     * @param text a candidate answer, e.g. {@code "seven"} or {@code "forty-two"}
     * @return the number it spells out (0..99), or empty when it is not a number in words
     */
    public static OptionalLong wordsToNumber(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT).replaceAll("[.!\"']", "");
        for (int i = 0; i < 100; i++) {
            if (numberToWords(i).equals(t)) {
                return OptionalLong.of(i);
            }
        }
        return OptionalLong.empty();
    }
}
