package io.dspex;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A runnable step or pipeline of language-model calls (DSPy's {@code dspy.Module}).
 *
 * <p>{@link #forward(Example)} is lazy: nothing runs until the returned {@code Mono} is subscribed, and each
 * subscription is an independent run. Failures arrive as error signals; no thread waits.
 *
 * <pre>{@code
 * Program qa = Predict.of("question -> answer");
 * qa.forward(Map.of("question", "What is 2+2?"))
 *   .map(p -> p.get("answer"))
 *   .subscribe(System.out::println);
 * }</pre>
 *
 * <p>Any lambda {@code example -> Mono<Prediction>} is a program; programs built from predictors extend
 * {@link Module} so optimizers can find and replace their {@link Predictor}s.
 */
@FunctionalInterface
public interface Program {

    /**
     * Runs the program on one example's inputs.
     *
     * @param inputs the inputs (an example's input keys when marked, else all its keys)
     * @return a lazy {@code Mono} of the prediction
     */
    Mono<Prediction> forward(Example inputs);

    /**
     * Runs the program on named input values.
     *
     * @param inputs input field names to values
     * @return a lazy {@code Mono} of the prediction
     */
    default Mono<Prediction> forward(Map<String, ?> inputs) {
        return Mono.defer(() -> forward(Example.of(inputs)));
    }

    /**
     * Runs the program on every input, at most {@code concurrency} at once, and emits one {@link BatchResult}
     * per input <em>in input order</em>. A failed input yields a result holding its error: one failure
     * cancels nothing else and no input is lost. Cancelling the returned {@code Flux} cancels every run in
     * flight.
     *
     * <pre>{@code
     * qa.batch(List.of(Map.of("question", "1+1?"), Map.of("question", "2+2?")), 8)
     *   .doOnNext(r -> System.out.println(r.index() + ": " + (r.isSuccess() ? r.prediction() : r.error())))
     *   .blockLast();
     * }</pre>
     *
     * @param inputs      {@link Example}s or {@code Map<String, ?>}s (anything else is recorded as that
     *                    input's error)
     * @param concurrency the most runs in flight at once, at least 1
     * @return the results, in input order
     * @throws IllegalArgumentException when {@code inputs} is null or {@code concurrency < 1}
     */
    default Flux<BatchResult> batch(Iterable<?> inputs, int concurrency) {
        if (inputs == null) {
            throw new IllegalArgumentException("batch inputs must not be null");
        }
        return Batches.run(this, Batches.fromIterable(inputs), concurrency, true);
    }

    /**
     * Like {@link #batch(Iterable, int)} over a publisher of inputs, in input order or as runs complete.
     *
     * @param inputs      {@link Example}s or {@code Map<String, ?>}s
     * @param concurrency the most runs in flight at once, at least 1
     * @param ordered     {@code true} to emit in input order (a slow input holds back later results but never
     *                    the runs themselves), {@code false} to emit as each run completes
     * @return one result per input
     * @throws IllegalArgumentException when {@code inputs} is null or {@code concurrency < 1}
     */
    default Flux<BatchResult> batch(Publisher<?> inputs, int concurrency, boolean ordered) {
        return Batches.run(this, inputs, concurrency, ordered);
    }

    /**
     * Runs the program and streams its output: {@link StreamEvent.Chunk}s of each output field as the LM
     * produces them, from every predictor inside that streams, then one {@link StreamEvent.Done} with the
     * prediction (DSPy's {@code streamify}). Cancelling the {@code Flux} cancels the run and its HTTP exchange.
     *
     * <pre>{@code
     * qa.stream(Map.of("question", "Why is the sky blue?"))
     *   .ofType(StreamEvent.Chunk.class)
     *   .subscribe(c -> System.out.print(c.text()));
     * }</pre>
     *
     * @param inputs input field names to values
     * @return the events; a failed run ends the Flux with its error
     */
    default Flux<StreamEvent> stream(Map<String, ?> inputs) {
        return Flux.defer(() -> StreamRun.stream(this, Example.of(inputs)));
    }

    /**
     * The predictors inside this program by path, as optimizers see them (DSPy's {@code named_predictors()}).
     * A plain lambda program has none.
     *
     * @return path to predictor, in a stable order
     */
    default Map<String, Predictor> namedPredictors() {
        return Map.of();
    }

    /**
     * A copy with some predictors replaced (how optimizers install demos); this program is unchanged.
     *
     * @param replacements path (as in {@link #namedPredictors()}) to the new predictor
     * @return the changed copy
     * @throws IllegalArgumentException naming any path that is not a predictor of this program
     */
    default Program withNamedPredictors(Map<String, ? extends Predictor> replacements) {
        ProgramPaths.checkKnown(replacements, namedPredictors());
        return this;
    }

    /** @return a deep copy whose predictors can be replaced without affecting this program */
    default Program copy() {
        return withNamedPredictors(Map.of());
    }

    /** @return a copy with every predictor's demos cleared (DSPy's {@code reset_copy()}) */
    default Program reset() {
        Map<String, Predictor> r = new LinkedHashMap<>();
        namedPredictors().forEach((k, v) -> r.put(k, v.reset()));
        return withNamedPredictors(r);
    }

    /**
     * Writes this program's learnable state in DSPy's JSON format ({@code module.save("program.json")}): per
     * named predictor its demos, instructions and field prefixes and descriptions; DSPy can load the file, and
     * {@link #load(Path)} reads DSPy's. Language models and their keys are never written ({@code "lm": null}).
     *
     * <p>Blocking file I/O: call it at the edge of the application, never on a Reactor non-blocking thread
     * (wrap it in {@code Mono.fromRunnable(..).subscribeOn(Schedulers.boundedElastic())} inside a pipeline).
     *
     * <pre>{@code
     * compiled.save(Path.of("qa.json"));
     * }</pre>
     *
     * @param path the file to write (replaced when present)
     * @throws ProgramStateException    when a demo value cannot be written as JSON
     * @throws java.io.UncheckedIOException when the file cannot be written
     */
    default void save(Path path) {
        ProgramState.save(this, path);
    }

    /**
     * Reads a state written by {@link #save(Path)} or by DSPy's {@code module.save("x.json")} and returns a copy of
     * this program with the saved demos, instructions and field prefixes and descriptions applied; this program
     * is unchanged. The file must hold exactly this program's predictors, each with as many signature fields as
     * its signature. Blocking file I/O, like {@link #save(Path)}.
     *
     * <pre>{@code
     * ChainOfThought qa = (ChainOfThought) ChainOfThought.of("question -> answer").load(Path.of("qa.json"));
     * }</pre>
     *
     * @param path the file to read
     * @return the loaded copy
     * @throws ProgramStateException    naming the predictor, field or demo at fault when the file is malformed or
     *                                  does not match this program
     * @throws java.io.UncheckedIOException when the file cannot be read
     */
    default Program load(Path path) {
        return ProgramState.load(this, path);
    }
}
