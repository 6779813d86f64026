package io.dspex.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One client fork: runs one system through one scenario against a running server and prints one line,
 * {@code RESULT <json>}, then exits. {@link Harness} starts it in a fresh JVM per system and iteration.
 *
 * <pre>{@code
 * java -Xmx1g -cp benchmarks/target/benchmarks.jar io.dspex.benchmarks.ClientMain \
 *     --scenario zero-latency-c64 --system dspex-predict --base-url http://127.0.0.1:41234/v1 \
 *     --concurrency 64 --warmup-ms 5000 --measure-ms 20000
 * }</pre>
 */
public final class ClientMain {

    static final String PREFIX = "RESULT ";
    static final ObjectMapper JSON = new ObjectMapper();

    private ClientMain() {
    }

    /**
     * @param args {@code --scenario}, {@code --system}, {@code --base-url} and the load options of {@link Load}
     * @throws Exception when the run cannot start; a run that fails part-way still prints its result
     */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        Scenario scenario = Scenario.named(a.required("scenario"));
        String system = a.required("system");
        Result result;
        try {
            result = LoadRun.run(scenario, system, Load.fromArgs(a), a.required("base-url"));
        } catch (RuntimeException e) {
            result = Result.failed(scenario.name(), system, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        System.out.println(PREFIX + JSON.writeValueAsString(result));
        System.out.flush();
        // Some clients keep non-daemon threads (pools, dispatchers) alive: end the fork here.
        System.exit(0); // some clients keep non-daemon threads alive; exit runs the JFR dump hook
    }
}
