package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.Metric;
import io.dspex.internal.PythonRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * DSPy's {@code create_n_fewshot_demo_sets}: {@code numSets} candidate demo sets per predictor, made one after
 * another with DSPy's seeds: {@code -3} none (zero-shot), {@code -2} {@link LabeledFewShot} demos only (when
 * labeled demos are allowed; otherwise a shuffled bootstrap, as in DSPy), {@code -1} a {@link BootstrapFewShot} on
 * the training set as given, then bootstraps on the training set shuffled by the shared generator with
 * {@code rng.randint(1, maxBootstrappedDemos)} bootstrapped demos.
 */
final class DemoCandidates {

    private DemoCandidates() {
    }

    /** Everything a set's bootstrap shares. */
    record Options(Metric metric, @Nullable Double metricThreshold, int maxBootstrappedDemos, int maxLabeledDemos,
                    int maxErrors, int concurrency) {
    }

    /**
     * @param student  the program (its predictors' paths key the result)
     * @param numSets  how many sets per predictor (DSPy's {@code num_candidate_sets}, the three fixed ones included)
     * @param trainset the training set
     * @param settings the bootstraps' settings
     * @param rng      the optimizer's shared generator (shuffles and sizes are drawn from it, in order)
     * @return per predictor path, its demo sets in seed order
     */
    static Mono<Map<String, List<List<Example>>>> create(Program student, int numSets, List<Example> trainset,
                                                         Options settings, PythonRandom rng) {
        Map<String, List<List<Example>>> out = new LinkedHashMap<>();
        student.namedPredictors().keySet().forEach(path -> out.put(path, new ArrayList<>()));
        return Flux.range(-3, Math.max(0, numSets))
                .concatMap(seed -> Mono.defer(() -> set(seed, student, trainset, settings, rng)))
                .doOnNext(program -> program.namedPredictors().forEach((path, p) -> out.get(path).add(p.demos())))
                .then(Mono.fromSupplier(() -> out));
    }

    private static Mono<Program> set(int seed, Program student, List<Example> trainset, Options s,
                                     PythonRandom rng) {
        List<Example> copy = new ArrayList<>(trainset);
        if (seed == -3) {
            return Mono.fromCallable(student::reset);
        }
        if (seed == -2 && s.maxLabeledDemos() > 0) {
            return LabeledFewShot.builder().k(s.maxLabeledDemos()).build().compile(student, copy);
        }
        int size = s.maxBootstrappedDemos();
        if (seed != -1) {
            rng.shuffle(copy);
            size = (int) rng.randint(Math.min(1, s.maxBootstrappedDemos()), s.maxBootstrappedDemos());
        }
        return BootstrapFewShot.builder()
                .metric(s.metric())
                .metricThreshold(s.metricThreshold())
                .maxBootstrappedDemos(size)
                .maxLabeledDemos(s.maxLabeledDemos())
                .maxErrors(s.maxErrors())
                .concurrency(s.concurrency())
                .build()
                .compile(student, copy);
    }
}
