package io.dspex;

import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.util.context.ContextView;

/**
 * Plumbing of {@link Program#stream}: a sink in the Reactor Context to which streaming predictors push
 * {@link StreamEvent.Chunk}s while the program runs. Public only so that predictors in other packages can
 * find it; not for users.
 */
public final class Streaming {

    private Streaming() {
    }

    static Flux<StreamEvent> stream(Program program, Example inputs) {
        return Flux.create(sink -> {
            var run = program.forward(inputs)
                    .contextWrite(ctx -> ctx.put(Streaming.class, sink))
                    .map(p -> (StreamEvent) new StreamEvent.Done(p))
                    .switchIfEmpty(reactor.core.publisher.Mono.error(
                            () -> new IllegalStateException("program completed without a prediction")))
                    .subscribe(sink::next, sink::error, sink::complete);
            sink.onDispose(run);
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    /**
     * @param context a run's context
     * @return the sink chunks should be pushed to, when the run is being streamed
     */
    @SuppressWarnings("unchecked")
    public static Optional<FluxSink<StreamEvent>> sink(ContextView context) {
        return context.getOrEmpty(Streaming.class).map(s -> (FluxSink<StreamEvent>) s);
    }
}
