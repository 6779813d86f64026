package io.dspex;

import io.dspex.internal.BoundedRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The batch runner behind {@link Program#batch}: the library's bounded runner with per-item error capture, so one
 * failure cancels nothing and no input is lost.
 */
final class Batches {

    private Batches() {
    }

    /** Stands in for a null element of an iterable, which a Flux cannot carry; recorded as that input's error. */
    private static final Object NULL_INPUT = new Object();

    static Flux<Object> fromIterable(Iterable<?> inputs) {
        return Flux.defer(() -> {
            List<Object> items = new ArrayList<>();
            for (Object o : inputs) {
                items.add(o == null ? NULL_INPUT : o);
            }
            return Flux.fromIterable(items);
        });
    }

    static Flux<BatchResult> run(Program program, Publisher<?> inputs, int concurrency, boolean ordered) {
        if (inputs == null) {
            throw new IllegalArgumentException("batch inputs must not be null");
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("batch concurrency must be at least 1, got " + concurrency);
        }
        Flux<Object> items = Flux.from(inputs);
        return BoundedRunner.run(items, (index, raw) -> runOne(program, index, raw), concurrency, ordered)
                .map(BoundedRunner.Indexed::value);
    }

    private static Mono<BatchResult> runOne(Program program, int index, Object raw) {
        Example input;
        try {
            input = toExample(raw, index);
        } catch (IllegalArgumentException e) {
            return Mono.just(new BatchResult(index, null, null, e));
        }
        return Mono.defer(() -> program.forward(input))
                .map(p -> new BatchResult(index, input, p, null))
                .switchIfEmpty(Mono.fromSupplier(() -> new BatchResult(index, input, null,
                        new IllegalStateException("program completed without a prediction for batch input " + index))))
                .onErrorResume(e -> Mono.just(new BatchResult(index, input, null, e)));
    }

    @SuppressWarnings("unchecked")
    private static Example toExample(Object raw, int index) {
        if (raw instanceof Example e) {
            return e;
        }
        if (raw instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (!(k instanceof String)) {
                    throw new IllegalArgumentException("batch input " + index + " has a non-string key: " + k);
                }
            }
            return Example.of((Map<String, ?>) m);
        }
        throw new IllegalArgumentException("batch input " + index + " must be an Example or a Map, got "
                + (raw == NULL_INPUT ? "null" : raw.getClass().getName()));
    }
}
