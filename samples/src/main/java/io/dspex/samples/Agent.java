package io.dspex.samples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Prediction;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.Usage;
import io.dspex.predict.ReAct;
import io.dspex.tool.McpTools;
import io.dspex.tool.Tool;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The agent sample: {@link ReAct} with two local tools — a calculator and a lookup over a bundled table of cities
 * ({@code cities.csv}, sample data) — and, when the environment variable {@code MCP_SERVER_CMD} names an MCP server
 * started over stdio (e.g. {@code npx -y @modelcontextprotocol/server-everything}), that server's tools too. It asks a
 * few questions and prints each step of the trajectory and the answer. Run it with
 * {@code mvn -B -ntp -q -pl samples -am compile exec:java -Dsample=agent}.
 *
 * <pre>{@code
 * Agent.run(provider.lm(), System.getenv("MCP_SERVER_CMD"), System.out);
 * }</pre>
 *
 * <p>The calculator is a plain {@link Tool#of} (pure computation, no blocking); the lookup reads the table file on
 * each call, so it is a {@link Tool#blocking} tool and runs on {@code Schedulers.boundedElastic()}.
 */
public final class Agent {

    /** The questions asked of every agent. */
    public static final List<String> QUESTIONS = List.of(
            "What is the population of Paris minus the population of Lyon?",
            "What is the area of Lyon times 3?",
            "What is 17 times 23?");

    /** The environment variable naming an MCP server command, started over stdio. */
    public static final String MCP_SERVER_CMD = "MCP_SERVER_CMD";

    private Agent() {
    }

    /** The calculator's argument. */
    record Expression(String expression) {
    }

    /** The lookup's argument. */
    record City(String name) {
    }

    /** @return the calculator: evaluates {@code + - * /} and parentheses over decimal numbers, exactly */
    public static Tool calculator() {
        return Tool.of("calculator", "Evaluate an arithmetic expression with + - * / and parentheses, e.g. "
                + "\"(2 + 3) * 4\".", Expression.class, e -> Mono.fromCallable(() -> Calc.evaluate(e.expression())));
    }

    /** @return the lookup: the row of the bundled table for a city, as a JSON object */
    public static Tool lookup() {
        return Tool.blocking("lookup", "Look up a city in the table of cities: its country, population and area in "
                + "km2.", City.class, c -> row(c.name()));
    }

    private static Map<String, Object> row(String name) {
        try (InputStream in = Agent.class.getResourceAsStream("/cities.csv")) {
            if (in == null) {
                throw new IllegalStateException("cities.csv is missing from the class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String[] header = r.readLine().split(",");
            String line;
            while ((line = r.readLine()) != null) {
                String[] cells = line.split(",");
                if (cells[0].equalsIgnoreCase(name.strip())) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    for (int i = 0; i < header.length; i++) {
                        out.put(header[i], number(cells[i]));
                    }
                    return out;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalArgumentException("no city named '" + name + "' in the table");
    }

    private static Object number(String cell) {
        try {
            return cell.contains(".") ? (Object) Double.parseDouble(cell) : (Object) Long.parseLong(cell);
        } catch (NumberFormatException text) {
            return cell;
        }
    }

    /**
     * Runs the sample.
     *
     * @param lm         the model to call
     * @param mcpCommand an MCP server command line to start over stdio and take tools from (null or blank: none)
     * @param out        where to print
     * @return the total token usage
     */
    public static Usage run(LanguageModel lm, String mcpCommand, PrintStream out) {
        List<Tool> tools = new ArrayList<>(List.of(calculator(), lookup()));
        List<String> questions = new ArrayList<>(QUESTIONS);
        McpAsyncClient mcp = null;
        if (mcpCommand != null && !mcpCommand.isBlank()) {
            List<String> words = words(mcpCommand);
            mcp = McpClient.async(new StdioClientTransport(ServerParameters.builder(words.get(0))
                            .args(words.subList(1, words.size())).build(), McpJsonDefaults.getMapper()))
                    .requestTimeout(Duration.ofSeconds(60)).initializationTimeout(Duration.ofSeconds(60)).build();
            McpAsyncClient client = mcp;
            List<Tool> served = client.initialize().then(McpTools.from(client)).block(Duration.ofSeconds(90));
            out.println();
            out.println("== MCP server `" + mcpCommand + "`: " + served.size() + " tools "
                    + served.stream().map(Tool::name).toList());
            tools.addAll(served);
            if (!served.isEmpty()) {
                questions.add("Call the " + served.get(0).name() + " tool with \"hello from DSPEx\".");
            }
        }
        try {
            ReAct agent = ReAct.of("question -> answer", tools).withLm(lm).withMaxIters(8);
            out.println();
            out.println("== ReAct(\"question -> answer\") with tools " + tools.stream().map(Tool::name).toList());
            Usage total = Usage.ZERO;
            for (String q : questions) {
                Prediction p = agent.forward(Map.of("question", q)).block(Duration.ofMinutes(5));
                out.println();
                out.println("Q: " + q);
                Map<?, ?> trajectory = (Map<?, ?>) p.get("trajectory");
                for (int i = 0; trajectory.containsKey("tool_name_" + i); i++) {
                    out.println("  " + i + ". " + trajectory.get("thought_" + i));
                    out.println("     " + trajectory.get("tool_name_" + i) + " "
                            + json(trajectory.get("tool_args_" + i)) + "  ->  "
                            + shorten(json(trajectory.get("observation_" + i))));
                }
                out.println("  answer: " + p.get("answer") + "   (" + p.usage().totalTokens() + " tokens)");
                total = total.plus(p.usage());
            }
            out.println();
            out.println("Total: " + total.promptTokens() + " prompt + " + total.completionTokens() + " completion = "
                    + total.totalTokens() + " tokens.");
            return total;
        } finally {
            if (mcp != null) {
                mcp.closeGracefully().block(Duration.ofSeconds(30));
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String json(Object value) {
        if (value instanceof String s) {
            return s;
        }
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    private static String shorten(String s) {
        String one = s.replace('\n', ' ');
        return one.length() > 160 ? one.substring(0, 160) + "…" : one;
    }

    /** Splits a command line at blanks, keeping "double" or 'single' quoted parts together. */
    static List<String> words(String command) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (char c : command.strip().toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (any || w.length() > 0) {
                    out.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(c);
            }
        }
        if (any || w.length() > 0) {
            out.add(w.toString());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(MCP_SERVER_CMD + " is blank");
        }
        return out;
    }

    /** A small exact calculator: decimal numbers, {@code + - * /}, unary minus, parentheses. */
    static final class Calc {
        private final String s;
        private int pos;

        private Calc(String s) {
            this.s = s;
        }

        /**
         * @param expression e.g. {@code (2 + 3) * 4.5}
         * @return the value: a {@code Long} when whole, else a {@code Double}
         * @throws IllegalArgumentException naming the position of a syntax error, or a division by zero
         */
        static Number evaluate(String expression) {
            Calc c = new Calc(expression);
            BigDecimal v = c.sum();
            c.blanks();
            if (c.pos != c.s.length()) {
                throw new IllegalArgumentException("unexpected '" + c.s.charAt(c.pos) + "' at position " + (c.pos + 1)
                        + " of " + expression);
            }
            BigDecimal stripped = v.stripTrailingZeros();
            return stripped.scale() <= 0 ? (Number) stripped.longValueExact() : (Number) stripped.doubleValue();
        }

        private void blanks() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private boolean eat(char c) {
            blanks();
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private BigDecimal sum() {
            BigDecimal v = product();
            while (true) {
                if (eat('+')) {
                    v = v.add(product());
                } else if (eat('-')) {
                    v = v.subtract(product());
                } else {
                    return v;
                }
            }
        }

        private BigDecimal product() {
            BigDecimal v = unary();
            while (true) {
                if (eat('*')) {
                    v = v.multiply(unary());
                } else if (eat('/')) {
                    BigDecimal d = unary();
                    if (d.signum() == 0) {
                        throw new IllegalArgumentException("division by zero in " + s);
                    }
                    v = v.divide(d, MathContext.DECIMAL64);
                } else {
                    return v;
                }
            }
        }

        private BigDecimal unary() {
            if (eat('-')) {
                return unary().negate();
            }
            if (eat('(')) {
                BigDecimal v = sum();
                if (!eat(')')) {
                    throw new IllegalArgumentException("missing ')' at position " + (pos + 1) + " of " + s);
                }
                return v;
            }
            blanks();
            int start = pos;
            while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || s.charAt(pos) == '.')) {
                pos++;
            }
            if (start == pos) {
                throw new IllegalArgumentException("expected a number at position " + (pos + 1) + " of " + s);
            }
            return new BigDecimal(s.substring(start, pos));
        }
    }
}
