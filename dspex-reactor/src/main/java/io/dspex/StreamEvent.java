package io.dspex;

import java.util.Optional;
import java.util.function.Consumer;
import reactor.util.context.ContextView;

/**
 * One event of {@link Program#stream}: a piece of an output field as the LM produces it, or the final
 * prediction (DSPy's {@code streamify} with stream listeners: {@code StreamResponse} then the
 * {@code Prediction}).
 *
 * <pre>{@code
 * qa.stream(Map.of("question", "Why is the sky blue?")).subscribe(event -> {
 *     if (event instanceof StreamEvent.Chunk c) System.out.print(c.text());
 *     if (event instanceof StreamEvent.Done d) System.out.println("\n" + d.prediction());
 * });
 * }</pre>
 */
public sealed interface StreamEvent permits StreamEvent.Chunk, StreamEvent.Done {

    /**
     * Where a predictor sends the chunks of the run being streamed: present inside a {@link Program#stream} run,
     * empty otherwise. The library's predictors use it; a predictor of your own can too, so that its output streams
     * like theirs.
     *
     * <pre>{@code
     * Mono.deferContextual(ctx -> {
     *     StreamEvent.sink(ctx).ifPresent(out -> out.accept(new StreamEvent.Chunk(this, "answer", "Paris")));
     *     return Mono.just(prediction);
     * });
     * }</pre>
     *
     * @param context the run's Reactor Context
     * @return the receiver of this run's chunks (call it from the thread that produced the text, in order)
     */
    static Optional<Consumer<Chunk>> sink(ContextView context) {
        return StreamRun.sink(context);
    }

    /**
     * Text of one output field, in the order the LM produced it. Concatenating a field's chunks gives the field's
     * raw text (before type conversion).
     *
     * @param predictor the predictor producing it (compare by identity with {@link Program#namedPredictors()})
     * @param field     the output field's name
     * @param text      the new text (never empty)
     */
    record Chunk(Predictor predictor, String field, String text) implements StreamEvent {
    }

    /**
     * The final prediction; always the last event of a successful stream.
     *
     * @param prediction the program's prediction
     */
    record Done(Prediction prediction) implements StreamEvent {
    }
}
