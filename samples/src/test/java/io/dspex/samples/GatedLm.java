package io.dspex.samples;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A language model for tests that need calls in flight for as long as the test wants, not for a time window:
 * the first {@code free} calls go straight to the delegate; every later call waits (without blocking a thread)
 * until {@link #open()}, then goes to the delegate. A waiting call that is cancelled never reaches it.
 */
final class GatedLm implements LanguageModel {

    private final LanguageModel delegate;
    private final int free;
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger held = new AtomicInteger();
    private final Sinks.Empty<Void> gate = Sinks.empty();

    /**
     * @param delegate the model that answers
     * @param free     how many calls pass without waiting for the gate
     */
    GatedLm(LanguageModel delegate, int free) {
        this.delegate = delegate;
        this.free = free;
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        return Mono.defer(() -> {
            if (started.incrementAndGet() <= free) {
                return delegate.call(request);
            }
            held.incrementAndGet();
            return gate.asMono().then(Mono.defer(() -> delegate.call(request)));
        });
    }

    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        return Flux.defer(() -> {
            if (started.incrementAndGet() <= free) {
                return delegate.stream(request);
            }
            held.incrementAndGet();
            return gate.asMono().thenMany(Flux.defer(() -> delegate.stream(request)));
        });
    }

    @Override
    public String id() {
        return delegate.id();
    }

    /** Lets every waiting call, and every later one, through. */
    void open() {
        gate.tryEmitEmpty();
    }

    /** @return the calls started so far (through the gate or waiting at it) */
    int started() {
        return started.get();
    }

    /** @return the calls that have waited at the gate so far */
    int held() {
        return held.get();
    }
}
