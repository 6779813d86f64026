package io.dspex.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * How much load one client fork applies.
 *
 * @param concurrency calls (or streams) in flight; also each client's pool size
 * @param warmupMs    closed loop: warm-up time before measuring
 * @param measureMs   closed loop: measured time
 * @param calls       burst, streams, evaluate: how many calls, streams or examples are measured
 * @param warmupCalls burst, streams, evaluate: how many run first, unmeasured
 * @param deadlineMs  longest a measured phase may take before the fork reports what it completed
 */
record Load(int concurrency, long warmupMs, long measureMs, int calls, int warmupCalls, long deadlineMs) {

    /** @return the load of a scenario for a quick (smoke) or full run */
    static Load of(Scenario s, boolean quick) {
        switch (s.kind()) {
            case CLOSED_LOOP:
                return quick ? new Load(64, 1_500, 2_500, 0, 0, 30_000) : new Load(64, 15_000, 15_000, 0, 0, 60_000);
            case BURST:
                return quick ? new Load(2_000, 0, 0, 2_000, 2_000, 8_000)
                        : new Load(10_000, 0, 0, 10_000, 10_000, 30_000);
            case STREAMS:
                return quick ? new Load(200, 0, 0, 200, 20, 20_000) : new Load(200, 0, 0, 200, 200, 60_000);
            case EVALUATE:
                return quick ? new Load(100, 0, 0, 2_000, 500, 30_000) : new Load(100, 0, 0, 10_000, 2_000, 60_000);
            case AGENT:
                return quick ? new Load(64, 2_000, 3_000, 0, 0, 30_000) : new Load(64, 10_000, 15_000, 0, 0, 60_000);
            case BOOTSTRAP:
                // 100 training examples at concurrency 16; compiles back to back.
                return quick ? new Load(16, 1_500, 2_500, 100, 0, 30_000) : new Load(16, 5_000, 10_000, 100, 0, 60_000);
            case FLINK:
                // FlinkThroughput sizes its own configurations (--quick: a quarter of the inputs).
                return new Load(64, 0, 0, 0, 0, 0);
            case RETRIEVAL:
                // RetrievalBench sizes its own work (--quick: 256 sentences and 3 rounds instead of 1,024 and 5).
                return new Load(1, 0, 0, 0, 0, 0);
            default:
                throw new IllegalStateException(s.kind().toString());
        }
    }

    List<String> toArgs() {
        List<String> a = new ArrayList<>();
        a.add("--concurrency");
        a.add(Integer.toString(concurrency));
        a.add("--warmup-ms");
        a.add(Long.toString(warmupMs));
        a.add("--measure-ms");
        a.add(Long.toString(measureMs));
        a.add("--calls");
        a.add(Integer.toString(calls));
        a.add("--warmup-calls");
        a.add(Integer.toString(warmupCalls));
        a.add("--deadline-ms");
        a.add(Long.toString(deadlineMs));
        return a;
    }

    static Load fromArgs(Args a) {
        return new Load((int) a.longValue("concurrency", 64), a.longValue("warmup-ms", 0), a.longValue("measure-ms", 0),
                (int) a.longValue("calls", 0), (int) a.longValue("warmup-calls", 0), a.longValue("deadline-ms", 60_000));
    }
}
