package io.dspex.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The one runner behind every bounded, indexed fan-out of the library ({@code Program.batch}, {@code Evaluate}, the
 * optimizers): at most {@code concurrency} tasks in flight, each result tagged with its item's index, emitted as tasks
 * complete or in input order. Input order is restored from a small buffer rather than with
 * {@code flatMapSequential}, which refills its window only as the head item completes: one slow item (a 1 s
 * {@code Retry-After}) would stall the whole window.
 */
public final class BoundedRunner {

    private BoundedRunner() {
    }

    /**
     * One task's result and the index of its item.
     *
     * @param index the item's position in the input, from 0
     * @param value the task's result
     * @param <R>   the result type
     */
    public record Indexed<R>(int index, R value) {
    }

    /**
     * Runs {@code task} for every item, lazily (per subscription), never more than {@code concurrency} at once.
     * Tasks should capture their own failures as results: an error signal from a task ends the run with it (and
     * cancels the others), as does cancelling the returned {@code Flux}.
     *
     * @param items       the items, in input order
     * @param task        (index, item) to the task's result
     * @param concurrency the most tasks in flight, at least 1
     * @param ordered     {@code true} to emit in input order (a slow item holds back later results, never later
     *                    tasks), {@code false} to emit as tasks complete
     * @param <T>         the item type
     * @param <R>         the result type
     * @return one indexed result per item
     * @throws IllegalArgumentException when {@code concurrency < 1}
     */
    public static <T, R> Flux<Indexed<R>> run(Publisher<T> items, BiFunction<Integer, T, Mono<R>> task,
                                              int concurrency, boolean ordered) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        Flux<Indexed<R>> asCompleted = Flux.from(items)
                .index()
                .flatMap(t -> {
                    int index = Math.toIntExact(t.getT1());
                    return task.apply(index, t.getT2()).map(r -> new Indexed<>(index, r));
                }, concurrency, 1);
        if (!ordered) {
            return asCompleted;
        }
        return Flux.defer(() -> {
            Map<Integer, Indexed<R>> pending = new HashMap<>();
            int[] next = {0};
            // flatMap serialises its output, so this function is never called concurrently.
            return asCompleted.concatMapIterable(r -> {
                if (r.index() != next[0]) {
                    pending.put(r.index(), r);
                    return List.of();
                }
                List<Indexed<R>> ready = new ArrayList<>(1);
                ready.add(r);
                next[0]++;
                Indexed<R> n;
                while ((n = pending.remove(next[0])) != null) {
                    ready.add(n);
                    next[0]++;
                }
                return ready;
            });
        });
    }
}
