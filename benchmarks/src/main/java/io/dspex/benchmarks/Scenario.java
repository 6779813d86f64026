package io.dspex.benchmarks;

import java.util.List;

/**
 * A benchmark scenario: the server's behaviour, the load, and the systems that run it.
 *
 * @param name           the scenario's name in results
 * @param kind           how the load is driven
 * @param latencyMs      the server's fixed latency
 * @param streamInterval pause between streamed events in ms, or -1 for one write per stream
 * @param systems        the systems measured, in report order
 */
record Scenario(String name, Kind kind, long latencyMs, long streamInterval, List<String> systems) {

    /** How a scenario drives its load. */
    enum Kind {
        /** A fixed number of calls in flight for a fixed time, after a warm-up: throughput, p50, p99. */
        CLOSED_LOOP,
        /** All calls at once: wall time, peak threads, peak heap. */
        BURST,
        /** Concurrent streams: time to first chunk and to the last. */
        STREAMS,
        /** Evaluate over a dev set: wall time against the ideal. */
        EVALUATE
    }

    static final String RAW = "reactor-netty-raw";
    /** The raw client with the pending-acquire timer OpenAiCompatibleLm uses: what raw gains from that choice alone. */
    static final String RAW_WHEEL = "reactor-netty-raw-wheel";
    static final String LM_CALL = "dspex-lm-call";
    static final String PREDICT = "dspex-predict";
    /** Predict with observations on: every handler a service would have, writing to memory (see Systems). */
    static final String PREDICT_OBSERVED = "dspex-predict-observed";
    static final String LANGCHAIN4J = "langchain4j";
    static final String OPENAI_JAVA = "openai-java";
    static final String EVALUATE = "dspex-evaluate";
    static final String EVALUATE_NO_HTTP = "dspex-evaluate-no-http";

    static final List<String> CLIENTS = List.of(RAW, LM_CALL, PREDICT, LANGCHAIN4J, OPENAI_JAVA);

    static final Scenario ZERO_LATENCY = new Scenario("zero-latency-c64", Kind.CLOSED_LOOP, 0, -1,
            List.of(RAW, RAW_WHEEL, LM_CALL, PREDICT, PREDICT_OBSERVED, LANGCHAIN4J, OPENAI_JAVA));
    static final Scenario LATENCY_1S = new Scenario("latency-1s-10k", Kind.BURST, 1000, -1,
            List.of(RAW, LM_CALL, PREDICT, PREDICT_OBSERVED, LANGCHAIN4J, OPENAI_JAVA));
    static final Scenario STREAM_200 = new Scenario("stream-200", Kind.STREAMS, 0, 2, CLIENTS);
    static final Scenario EVALUATE_10K = new Scenario("evaluate-10k-50ms", Kind.EVALUATE, 50, -1,
            List.of(EVALUATE, EVALUATE_NO_HTTP));

    static final List<Scenario> ALL = List.of(ZERO_LATENCY, LATENCY_1S, STREAM_200, EVALUATE_10K);

    static Scenario named(String name) {
        for (Scenario s : ALL) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "'; known: "
                + ALL.stream().map(Scenario::name).toList());
    }
}
