package io.dspex;

import java.util.Optional;
import java.util.function.Consumer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * How {@link Program#stream} works: the run's Reactor Context carries a receiver of {@link StreamEvent.Chunk}s,
 * which streaming predictors find with {@link StreamEvent#sink}; the run's prediction ends the stream.
 */
final class StreamRun {

    /** The Context key of the chunk receiver; private, so only {@link #sink} reads it. */
    private static final Object KEY = new Object();

    private StreamRun() {
    }

    static Flux<StreamEvent> stream(Program program, Example inputs) {
        return Flux.create(sink -> {
            Consumer<StreamEvent.Chunk> chunks = sink::next;
            var run = program.forward(inputs)
                    // The subscriber's Context (settings, trace) reaches the run, plus the chunk receiver.
                    .contextWrite(ctx -> ctx.putAll(sink.contextView()).put(KEY, chunks))
                    .map(p -> (StreamEvent) new StreamEvent.Done(p))
                    .switchIfEmpty(Mono.error(
                            () -> new IllegalStateException("program completed without a prediction")))
                    .subscribe(sink::next, sink::error, sink::complete);
            sink.onDispose(run);
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    @SuppressWarnings("unchecked")
    static Optional<Consumer<StreamEvent.Chunk>> sink(ContextView context) {
        return context.getOrEmpty(KEY).map(c -> (Consumer<StreamEvent.Chunk>) c);
    }
}
