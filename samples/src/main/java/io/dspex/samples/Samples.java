package io.dspex.samples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The one launcher of the samples: picks a sample by name and runs it against the provider the environment
 * selects ({@link Provider}).
 *
 * <pre>{@code
 * mvn -B -ntp -q -pl samples exec:java -Dsample=quickstart
 * mvn -B -ntp -q -pl samples exec:java -Dsample=batch -Dexec.args="in.jsonl out.jsonl"
 * MCP_SERVER_CMD="npx -y @modelcontextprotocol/server-everything" mvn -B -ntp -q -pl samples exec:java -Dsample=agent
 * java -cp ... io.dspex.samples.Samples optimize
 * }</pre>
 *
 * <p>The name comes from the {@code sample} system property, else from the first argument; the remaining
 * arguments go to the sample. Samples write their files under {@code target/samples/} of the working directory
 * unless told otherwise.
 */
public final class Samples {

    /** The samples, in the order a newcomer would try them. */
    public static final List<String> NAMES = List.of("quickstart", "optimize", "server", "batch",
            "optimize-instructions", "optimize-gepa", "agent", "rag");

    /** Where samples write by default: {@code target/samples} under the working directory. */
    public static final Path OUTPUT_DIR = Path.of("target", "samples");

    /** The optimized program the {@code optimize} sample saves and the {@code server} sample loads by default. */
    public static final Path OPTIMIZED_PROGRAM = OUTPUT_DIR.resolve("arithmetic-optimized.json");

    private Samples() {
    }

    /**
     * Runs a sample by name.
     *
     * @param args the sample's name (unless {@code -Dsample=NAME} is given), then its arguments
     * @throws Exception when the sample fails
     */
    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        String name = System.getProperty("sample");
        if ((name == null || name.isBlank()) && !rest.isEmpty()) {
            name = rest.remove(0);
        }
        if (name == null || name.isBlank() || !NAMES.contains(name.strip().toLowerCase(Locale.ROOT))) {
            System.err.println((name == null || name.isBlank() ? "No sample named." : "Unknown sample '" + name + "'.")
                    + " Run one of " + NAMES + ":\n  mvn -B -ntp -q -pl samples exec:java -Dsample=quickstart");
            System.exit(2);
            return;
        }
        run(name.strip().toLowerCase(Locale.ROOT), rest, System.out);
    }

    /**
     * Runs a sample against the provider the environment selects, printing the provider banner first.
     *
     * @param name one of {@link #NAMES}
     * @param args the sample's arguments
     * @param out  where to print
     * @throws Exception when the sample fails
     * @throws IllegalArgumentException when the name is unknown
     */
    public static void run(String name, List<String> args, PrintStream out) throws Exception {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown sample '" + name + "'; samples are " + NAMES);
        }
        try (Provider provider = Provider.fromEnvironment()) {
            run(name, args, out, provider);
        }
    }

    /**
     * Runs a sample against a given provider, printing its banner first.
     *
     * @param name     one of {@link #NAMES}
     * @param args     the sample's arguments
     * @param out      where to print
     * @param provider the model to use (not closed here)
     * @throws Exception when the sample fails
     * @throws IllegalArgumentException when the name is unknown
     */
    public static void run(String name, List<String> args, PrintStream out, Provider provider) throws Exception {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown sample '" + name + "'; samples are " + NAMES);
        }
        out.println(provider.banner());
        switch (name) {
            case "quickstart" -> Quickstart.run(provider.lm(), out);
            case "optimize" -> Optimize.run(provider.lm(), arg(args, 0, OPTIMIZED_PROGRAM), out);
            case "server" -> PredictServer.main(provider.lm(), arg(args, 0, OPTIMIZED_PROGRAM),
                    Integer.parseInt(args.size() > 1 ? args.get(1) : "8080"), out);
            case "batch" -> BatchSample.main(provider.lm(), arg(args, 0, null),
                    arg(args, 1, OUTPUT_DIR.resolve("answers.jsonl")), out);
            case "optimize-instructions" -> OptimizeInstructions.run(provider.lm(), out);
            case "optimize-gepa" -> OptimizeGepa.run(provider.lm(), provider.lm(),
                    arg(args, 0, OUTPUT_DIR.resolve("arithmetic-gepa.json")), out);
            case "agent" -> Agent.run(provider.lm(), System.getenv(Agent.MCP_SERVER_CMD), out);
            case "rag" -> Rag.run(provider.lm(), out);
            default -> throw new IllegalStateException("unreachable: " + name);
        }
    }

    private static Path arg(List<String> args, int i, Path fallback) {
        return args.size() > i && !args.get(i).isBlank() ? Path.of(args.get(i)) : fallback;
    }
}
