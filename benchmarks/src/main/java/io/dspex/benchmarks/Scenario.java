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
        EVALUATE,
        /**
         * An agent task (several LM calls and tool calls) per slot, {@code concurrency} tasks in flight for a fixed
         * time, after a warm-up: tasks per second, p50, p99. The server scripts the agents' steps.
         */
        AGENT,
        /** BootstrapFewShot compilations back to back for a fixed time, after a warm-up: wall time per compile. */
        BOOTSTRAP,
        /** The Flink job ({@link FlinkThroughput}), forked with Flink's class path; it runs its own iterations. */
        FLINK,
        /** The retrieval benchmarks (issue 21's RetrievalBench), one fork per iteration with the full class path. */
        RETRIEVAL
    }

    /**
     * The best-configured bare Reactor Netty client (a Netty wheel timer for pending acquires, a parsed URI, the
     * request sender built once): the baseline of every target.
     */
    static final String RAW = "reactor-netty-raw";
    /** The bare client as configured by default (Reactor Netty's pending-acquire timer, a String URL). */
    static final String RAW_DEFAULT = "reactor-netty-raw-default";
    static final String LM_CALL = "dspex-lm-call";
    static final String PREDICT = "dspex-predict";
    /** Predict with observations on: every handler a service would have, writing to memory (see Systems). */
    static final String PREDICT_OBSERVED = "dspex-predict-observed";
    static final String LANGCHAIN4J = "langchain4j";
    /** openai-java with OkHttp's connection pool and dispatcher sized to the load (see Systems.OpenAiJava). */
    static final String OPENAI_JAVA = "openai-java";
    /** openai-java's OkHttp client as its builder makes it (5 idle connections kept, 64 requests in flight). */
    static final String OPENAI_JAVA_DEFAULT = "openai-java-default";
    static final String EVALUATE = "dspex-evaluate";
    static final String EVALUATE_NO_HTTP = "dspex-evaluate-no-http";
    /** ReAct (DSPy's protocol: text fields, a finish step and an extraction) with three tools. */
    static final String REACT = "dspex-react";
    /** A LangChain4j AiServices agent (OpenAI function calling) with the same three tools. */
    static final String LANGCHAIN4J_AGENT = "langchain4j-agent";
    static final String BOOTSTRAP = "dspex-bootstrap";
    /** embed-local: the local all-MiniLM-L6-v2 embedder (dspex-embeddings-local). */
    static final String LOCAL_EMBEDDER = "dspex-local-embedder";
    /** embed-local: LangChain4j's in-process AllMiniLmL6V2EmbeddingModel on the same ONNX Runtime. */
    static final String LANGCHAIN4J_EMBEDDER = "langchain4j-embedder";
    /** search-100k: Embeddings.search, exact, over 100,000 x 384 vectors. */
    static final String EXACT_SEARCH = "dspex-exact-search";
    /** The flink scenario's configurations (FlinkThroughput), each reported as a system. */
    static final List<String> FLINK_CONFIGS = List.of("batch-c64", "flink-p1-c64", "flink-p1-c16", "flink-p2-c16");

    static final List<String> CLIENTS = List.of(RAW, LM_CALL, PREDICT, LANGCHAIN4J, OPENAI_JAVA);

    static final Scenario ZERO_LATENCY = new Scenario("zero-latency-c64", Kind.CLOSED_LOOP, 0, -1,
            List.of(RAW, RAW_DEFAULT, LM_CALL, PREDICT, PREDICT_OBSERVED, LANGCHAIN4J, OPENAI_JAVA,
                    OPENAI_JAVA_DEFAULT));
    static final Scenario LATENCY_1S = new Scenario("latency-1s-10k", Kind.BURST, 1000, -1,
            List.of(RAW, LM_CALL, PREDICT, PREDICT_OBSERVED, LANGCHAIN4J, OPENAI_JAVA));
    static final Scenario STREAM_200 = new Scenario("stream-200", Kind.STREAMS, 0, 2, CLIENTS);
    static final Scenario EVALUATE_10K = new Scenario("evaluate-10k-50ms", Kind.EVALUATE, 50, -1,
            List.of(EVALUATE, EVALUATE_NO_HTTP));

    /** ReAct with 3 tool steps (each tool 20 ms) at 50 ms LM latency, 64 tasks in flight. */
    static final Scenario REACT_TOOLS = new Scenario("react-tools", Kind.AGENT, 50, -1,
            List.of(REACT, LANGCHAIN4J_AGENT));
    /** BootstrapFewShot over 100 training examples at 50 ms latency, concurrency 16. */
    static final Scenario BOOTSTRAP_100 = new Scenario("bootstrap-100", Kind.BOOTSTRAP, 50, -1, List.of(BOOTSTRAP));
    /** The Flink job at parallelism 1 and 2 against Program.batch, 50 ms latency (FlinkThroughput). */
    static final Scenario FLINK_JOB = new Scenario("flink", Kind.FLINK, 50, -1, FLINK_CONFIGS);

    /** Sentences per second of the local embedder against LangChain4j's (RetrievalBench --only embed). */
    static final Scenario EMBED_LOCAL = new Scenario("embed-local", Kind.RETRIEVAL, 0, -1,
            List.of(LOCAL_EMBEDDER, LANGCHAIN4J_EMBEDDER));
    /** Exact top-10 search over 100,000 x 384 vectors (RetrievalBench --only exact). */
    static final Scenario SEARCH_100K = new Scenario("search-100k", Kind.RETRIEVAL, 0, -1, List.of(EXACT_SEARCH));

    static final List<Scenario> ALL = List.of(ZERO_LATENCY, LATENCY_1S, STREAM_200, EVALUATE_10K, REACT_TOOLS,
            BOOTSTRAP_100, FLINK_JOB, EMBED_LOCAL, SEARCH_100K);

    /** Milliseconds each tool of react-tools takes. */
    static final long TOOL_LATENCY_MS = 20;

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
