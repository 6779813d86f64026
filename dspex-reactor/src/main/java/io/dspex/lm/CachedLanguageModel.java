package io.dspex.lm;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The decorator returned by {@link LmCache#wrap(LanguageModel)}. */
final class CachedLanguageModel implements LanguageModel {

    private final LmCache cache;
    private final LanguageModel delegate;

    CachedLanguageModel(LmCache cache, LanguageModel delegate) {
        this.cache = cache;
        this.delegate = delegate;
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        return cache.call(delegate, request);
    }

    /** Not cached: passes straight through to the wrapped model. */
    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        return delegate.stream(request);
    }

    @Override
    public String id() {
        return delegate.id();
    }

    @Override
    public @Nullable String model() {
        return delegate.model();
    }

    @Override
    public String toString() {
        return "Cached[" + delegate + "]";
    }
}
