package io.dspex.benchmarks;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Mono;

/** Drives one system through one scenario in this JVM and measures it. */
final class LoadRun {

    private LoadRun() {
    }

    /**
     * @param scenario the scenario
     * @param system   the system
     * @param load     how much load
     * @param baseUrl  the server
     * @return the measurement
     * @throws InterruptedException when interrupted
     */
    static Result run(Scenario scenario, String system, Load load, String baseUrl) throws InterruptedException {
        switch (scenario.kind()) {
            case CLOSED_LOOP:
                try (Systems.Target t = Systems.create(system, baseUrl, load.concurrency())) {
                    return closedLoop(scenario.name(), system, t, load);
                }
            case BURST:
                try (Systems.Target t = Systems.create(system, baseUrl, load.concurrency())) {
                    return burst(scenario.name(), system, t, load);
                }
            case STREAMS:
                try (Systems.Target t = Systems.create(system, baseUrl, load.concurrency())) {
                    return streams(scenario.name(), system, t, load);
                }
            case EVALUATE:
                return evaluate(scenario, system, load, baseUrl);
            case AGENT:
                try (Systems.Target t = Systems.create(system, baseUrl, load.concurrency())) {
                    return closedLoop(scenario.name(), system, t, load);
                }
            case BOOTSTRAP:
                return bootstrap(scenario, system, load, baseUrl);
            default:
                throw new IllegalStateException(scenario.kind().toString());
        }
    }

    // ------------------------------------------------------------------ closed loop

    static Result closedLoop(String scenario, String system, Systems.Target target, Load load)
            throws InterruptedException {
        try {
            target.call().get(load.deadlineMs(), TimeUnit.MILLISECONDS); // first call: class loading, connection
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return Result.failed(scenario, system, "first call failed: " + e);
        }
        Recorder recorder = new Recorder(3);
        AtomicLong errors = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(load.concurrency());
        for (int i = 0; i < load.concurrency(); i++) {
            loop(target, recorder, errors, stop, stopped);
        }
        Thread.sleep(load.warmupMs());
        recorder.getIntervalHistogram(); // discard the warm-up
        errors.set(0);
        Sampler sampler = Sampler.start();
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        Thread.sleep(load.measureMs());
        Histogram h = recorder.getIntervalHistogram();
        double seconds = (System.nanoTime() - start) / 1e9;
        long cpu = processCpuNanos() - cpuStart;
        Sampler.Peaks peaks = sampler.stop();
        stop.set(true);
        boolean drained = stopped.await(30, TimeUnit.SECONDS);
        Double cpuPerCall = cpuStart < 0 || h.getTotalCount() == 0 ? null
                : Math.round(cpu / 10.0 / h.getTotalCount()) / 100.0;
        return new Result(scenario, system, h.getTotalCount() / seconds, ms(h.getValueAtPercentile(50)),
                ms(h.getValueAtPercentile(99)), null, null, peaks.threads(), peaks.heapMb(), null, null, h.getTotalCount(),
                errors.get(), 1, drained ? null : "in-flight calls did not finish within 30 s of the end", cpuPerCall);
    }

    /** @return the CPU time of this JVM's threads so far, or -1 where the JVM does not say */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static void loop(Systems.Target t, Recorder recorder, AtomicLong errors, AtomicBoolean stop,
                             CountDownLatch stopped) {
        long start = System.nanoTime();
        CompletableFuture<?> f;
        try {
            f = t.call();
        } catch (RuntimeException e) {
            errors.incrementAndGet();
            stopped.countDown();
            return;
        }
        f.whenComplete((r, e) -> {
            if (e != null) {
                errors.incrementAndGet();
            } else {
                recorder.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
            }
            if (stop.get()) {
                stopped.countDown();
            } else {
                loop(t, recorder, errors, stop, stopped);
            }
        });
    }

    private static double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }

    // ------------------------------------------------------------------ burst

    static Result burst(String scenario, String system, Systems.Target target, Load load) throws InterruptedException {
        Double coldSeconds = null;
        if (load.warmupCalls() > 0) {
            Timed cold = timed(target, load.warmupCalls(), load.deadlineMs());
            if (!cold.complete(load.warmupCalls())) {
                // Calls still queued from the first burst would meet the measured one: report the first instead.
                return cold.result(scenario, system, null, String.format("the first (cold-pool) burst completed "
                        + "only %,d of %,d calls within the %d s deadline, so the measured burst was not run", cold.ok(),
                        load.warmupCalls(), load.deadlineMs() / 1000));
            }
            coldSeconds = cold.seconds();
            // One more unmeasured burst on the warm pool, so that the measured one runs compiled code (10,000 calls
            // are about where the JIT's last tier kicks in), each burst starting from a settled heap.
            settle();
            long[] warm = fire(target, load.warmupCalls(), load.deadlineMs(), null);
            if (warm[0] + warm[1] != load.warmupCalls()) {
                return Result.failed(scenario, system, String.format("the second (warm-up) burst completed only %,d "
                        + "of %,d calls within the %d s deadline", warm[0], load.warmupCalls(), load.deadlineMs() / 1000));
            }
            settle();
        }
        Timed measured = timed(target, load.calls(), load.deadlineMs());
        boolean finished = measured.complete(load.calls());
        return measured.result(scenario, system, coldSeconds, finished ? null : String.format("only %,d of %,d calls "
                + "completed within the %d s deadline", measured.ok(), load.calls(), load.deadlineMs() / 1000));
    }

    /** One timed burst: its outcome, wall time, peaks and latencies. */
    private record Timed(long ok, long failed, double seconds, Sampler.Peaks peaks, Histogram latencies) {

        boolean complete(int calls) {
            return ok + failed == calls;
        }

        /** @return the burst's result; its wall time only when every call ended (a note says what went wrong) */
        Result result(String scenario, String system, Double coldSeconds, String note) {
            return new Result(scenario, system, ok / seconds, ms(latencies.getValueAtPercentile(50)),
                    ms(latencies.getValueAtPercentile(99)), note == null ? seconds : null, coldSeconds,
                    peaks.threads(), peaks.heapMb(), null, null, ok, failed, 1, note, null);
        }
    }

    private static Timed timed(Systems.Target target, int calls, long deadlineMs) throws InterruptedException {
        Recorder recorder = new Recorder(3);
        Sampler sampler = Sampler.start();
        long start = System.nanoTime();
        long[] outcome = fire(target, calls, deadlineMs, recorder);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Timed(outcome[0], outcome[1], seconds, sampler.stop(), recorder.getIntervalHistogram());
    }

    /**
     * Collects the previous burst's garbage before the next burst starts: without it, in-flight calls that the
     * young collections of one burst promoted fill the old generation, and a later burst pays for mixed
     * collections of a burst it does not time. Every system gets the same.
     */
    private static void settle() throws InterruptedException {
        System.gc();
        Thread.sleep(500);
    }

    /** Starts n calls at once; returns {completed, failed} once all ended or the deadline passed. */
    private static long[] fire(Systems.Target target, int n, long deadlineMs, Recorder recorder)
            throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            CompletableFuture<?> f;
            try {
                f = target.call();
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                done.countDown();
                continue;
            }
            f.whenComplete((r, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                } else {
                    ok.incrementAndGet();
                    if (recorder != null) {
                        recorder.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
                    }
                }
                done.countDown();
            });
        }
        done.await(deadlineMs, TimeUnit.MILLISECONDS);
        return new long[] {ok.get(), failed.get()};
    }

    // ------------------------------------------------------------------ streams

    static Result streams(String scenario, String system, Systems.Target target, Load load)
            throws InterruptedException {
        if (load.warmupCalls() > 0) {
            openStreams(target, load.warmupCalls(), load.deadlineMs(), new Recorder(3), new Recorder(3));
        }
        Recorder first = new Recorder(3);
        Recorder last = new Recorder(3);
        Sampler sampler = Sampler.start();
        long start = System.nanoTime();
        long[] outcome = openStreams(target, load.calls(), load.deadlineMs(), first, last);
        double seconds = (System.nanoTime() - start) / 1e9;
        Sampler.Peaks peaks = sampler.stop();
        Histogram f = first.getIntervalHistogram();
        Histogram l = last.getIntervalHistogram();
        boolean finished = outcome[0] + outcome[1] == load.calls();
        String note = null;
        if (!finished) {
            note = String.format("only %,d of %,d streams completed within the %d s deadline", outcome[0],
                    load.calls(), load.deadlineMs() / 1000);
        } else if (outcome[2] > 0) {
            note = String.format("%,d streams ended with fewer than %d chunks", outcome[2], Workload.STREAM_CHUNKS);
        }
        return new Result(scenario, system, outcome[0] / seconds, ms(l.getValueAtPercentile(50)),
                ms(l.getValueAtPercentile(99)), finished ? seconds : null, null, peaks.threads(), peaks.heapMb(),
                ms(f.getValueAtPercentile(50)), ms(f.getValueAtPercentile(99)), outcome[0], outcome[1], 1, note, null);
    }

    /** Opens n streams at once; returns {completed, failed, short}. */
    private static long[] openStreams(Systems.Target target, int n, long deadlineMs, Recorder first, Recorder last)
            throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong shortStreams = new AtomicLong();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            CompletableFuture<Integer> f;
            try {
                f = target.stream(() -> first.recordValue(Math.max(1, (System.nanoTime() - start) / 1000)));
            } catch (RuntimeException e) {
                failed.incrementAndGet();
                done.countDown();
                continue;
            }
            f.whenComplete((chunks, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                } else {
                    ok.incrementAndGet();
                    last.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
                    if (chunks < Workload.STREAM_CHUNKS) {
                        shortStreams.incrementAndGet();
                    }
                }
                done.countDown();
            });
        }
        done.await(deadlineMs, TimeUnit.MILLISECONDS);
        return new long[] {ok.get(), failed.get(), shortStreams.get()};
    }

    // ------------------------------------------------------------------ evaluate

    static Result evaluate(Scenario scenario, String system, Load load, String baseUrl)
            throws InterruptedException {
        OpenAiCompatibleLm lm = null;
        Program program;
        if (system.equals(Scenario.EVALUATE)) {
            lm = Systems.dspexLm(baseUrl, load.concurrency());
            program = Predict.of(Workload.SIGNATURE).withLm(lm);
        } else if (system.equals(Scenario.EVALUATE_NO_HTTP)) {
            Duration latency = Duration.ofMillis(scenario.latencyMs());
            program = inputs -> Mono.delay(latency).map(t -> Prediction.of(Map.of("answer", Workload.ANSWER)));
        } else {
            throw new IllegalArgumentException("unknown evaluate system '" + system + "'");
        }
        try {
            if (load.warmupCalls() > 0) {
                evaluateOnce(devset(load.warmupCalls()), load, program);
            }
            Sampler sampler = Sampler.start();
            long start = System.nanoTime();
            EvaluationResult result = evaluateOnce(devset(load.calls()), load, program);
            double seconds = (System.nanoTime() - start) / 1e9;
            Sampler.Peaks peaks = sampler.stop();
            double ideal = idealSeconds(scenario, load);
            long errors = result.rows().stream().filter(r -> r.error().isPresent()).count();
            return new Result(scenario.name(), system, load.calls() / seconds, null, null, seconds, null, peaks.threads(),
                    peaks.heapMb(), null, null, (long) result.rows().size(), errors, 1,
                    String.format("score %.1f%%, %.3fx the ideal %.1f s", result.score(), seconds / ideal, ideal), null);
        } finally {
            if (lm != null) {
                lm.close();
            }
        }
    }

    // ------------------------------------------------------------------ bootstrap

    /**
     * BootstrapFewShot over {@code load.calls()} training examples at concurrency {@code load.concurrency()}, compiled
     * again and again: unmeasured for {@code warmupMs}, then measured for {@code measureMs} (at least one compile).
     * Every example counts (the metric passes and {@code maxBootstrappedDemos} is the training set's size), so every
     * compile makes one teacher call per example. Reports the median compile's wall time ({@code wall_s}), the p50
     * and p99 of compile wall times, and examples per second.
     */
    static Result bootstrap(Scenario scenario, String system, Load load, String baseUrl) throws InterruptedException {
        if (!system.equals(Scenario.BOOTSTRAP)) {
            throw new IllegalArgumentException("unknown bootstrap system '" + system + "'");
        }
        try (OpenAiCompatibleLm lm = Systems.dspexLm(baseUrl, load.concurrency())) {
            Predict student = Predict.of(Workload.SIGNATURE).withLm(lm);
            List<Example> trainset = devset(load.calls());
            io.dspex.optimize.BootstrapFewShot optimizer = io.dspex.optimize.BootstrapFewShot.builder()
                    .metric(Metrics.exactMatch("answer")).maxBootstrappedDemos(load.calls())
                    .maxLabeledDemos(load.calls())
                    .concurrency(load.concurrency()).build();
            long warmEnd = System.nanoTime() + load.warmupMs() * 1_000_000;
            while (System.nanoTime() < warmEnd) {
                compileOnce(optimizer, student, trainset, load);
            }
            Recorder recorder = new Recorder(3);
            List<Double> walls = new ArrayList<>();
            Sampler sampler = Sampler.start();
            long start = System.nanoTime();
            long end = start + load.measureMs() * 1_000_000;
            do {
                long t0 = System.nanoTime();
                compileOnce(optimizer, student, trainset, load);
                long micros = (System.nanoTime() - t0) / 1000;
                recorder.recordValue(Math.max(1, micros));
                walls.add(micros / 1e6);
            } while (System.nanoTime() < end);
            double seconds = (System.nanoTime() - start) / 1e9;
            Sampler.Peaks peaks = sampler.stop();
            Histogram h = recorder.getIntervalHistogram();
            walls.sort(null);
            double median = walls.get((walls.size() - 1) / 2);
            double ideal = idealSeconds(scenario, load);
            return new Result(scenario.name(), system, walls.size() * load.calls() / seconds,
                    ms(h.getValueAtPercentile(50)),
                    ms(h.getValueAtPercentile(99)), median, null, peaks.threads(), peaks.heapMb(), null, null,
                    (long) walls.size(), 0L, 1, String.format(java.util.Locale.ROOT,
                            "%d compiles; median %.3f s = %.3fx the ideal %.3f s", walls.size(), median,
                            median / ideal, ideal));
        }
    }

    private static void compileOnce(io.dspex.optimize.BootstrapFewShot optimizer, Predict student,
                                     List<Example> trainset, Load load) {
        Predict compiled = optimizer.compile(student, trainset).block(Duration.ofMillis(load.deadlineMs()));
        if (compiled == null || compiled.demos().size() != trainset.size()) {
            throw new IllegalStateException("expected " + trainset.size() + " demos, got "
                    + (compiled == null ? "nothing" : compiled.demos().size()));
        }
    }

    /**
     * @return the ideal wall time: for evaluate, examples ÷ concurrency × latency; for bootstrap, the busiest slot's
     *         calls (⌈examples ÷ concurrency⌉) × latency
     */
    static double idealSeconds(Scenario scenario, Load load) {
        if (scenario.kind() == Scenario.Kind.BOOTSTRAP) {
            return Math.ceil((double) load.calls() / load.concurrency()) * scenario.latencyMs() / 1000.0;
        }
        return (double) load.calls() / load.concurrency() * scenario.latencyMs() / 1000.0;
    }

    private static EvaluationResult evaluateOnce(List<Example> devset, Load load, Program program) {
        Evaluate evaluate = Evaluate.builder().devset(devset).metric(Metrics.exactMatch("answer"))
                .concurrency(load.concurrency()).displayProgress(false).build();
        return evaluate.run(program).block(Duration.ofMillis(load.deadlineMs()));
    }

    private static List<Example> devset(int n) {
        List<Example> devset = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            devset.add(Example.of(Map.of("question", Workload.QUESTION, "answer", Workload.ANSWER))
                    .withInputs("question"));
        }
        return devset;
    }

    // ------------------------------------------------------------------ sampling

    /** Samples live threads and heap used every 5 ms on a daemon thread. */
    static final class Sampler {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;
        private volatile long peakHeap;

        record Peaks(int threads, double heapMb) {
        }

        private Sampler() {
            THREADS.resetPeakThreadCount();
            thread = new Thread(() -> {
                while (running.get()) {
                    long used = MEMORY.getHeapMemoryUsage().getUsed();
                    if (used > peakHeap) {
                        peakHeap = used;
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        static Sampler start() {
            return new Sampler();
        }

        Peaks stop() throws InterruptedException {
            running.set(false);
            thread.join();
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            long heap = Math.max(peakHeap, used);
            return new Peaks(THREADS.getPeakThreadCount(), Math.round(heap / 1024.0 / 1024.0 * 10) / 10.0);
        }
    }
}
