package io.dspex.lm;

import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A language model: a stateless function from an {@link LmRequest} to a lazy {@code Mono} of its
 * {@link LmResponse}.
 *
 * <p>Implementations keep no per-request state and never retry, sleep, cache or block: nothing happens until
 * the returned publisher is subscribed, and every subscription is an independent call (a new HTTP exchange for
 * {@link OpenAiCompatibleLm}), so {@code retryWhen} at the program layer repeats it. Failures arrive as error
 * signals carrying a typed {@link LmException} that says whether the call may be retried.
 *
 * <pre>{@code
 * LanguageModel lm = OpenAiCompatibleLm.builder()
 *     .baseUrl("http://localhost:11434/v1").model("llama3.2").build();
 * Mono<String> answer = lm.call(LmRequest.of(List.of(Message.user("Capital of France?"))))
 *     .map(LmResponse::text);
 * }</pre>
 */
@FunctionalInterface
public interface LanguageModel {

    /**
     * Sends one request. Lazy: nothing is sent until subscription; each subscription sends again.
     *
     * @param request the request
     * @return the response, or an error signal carrying an {@link LmException}
     */
    Mono<LmResponse> call(LmRequest request);

    /**
     * Streams one request's answer as text deltas. Chunks of several choices ({@code n > 1}) interleave and
     * are told apart by {@link LmChunk#choiceIndex()}; the usage, when known, rides on the last chunk
     * ({@link LmChunk#usage()}). Cancelling the subscription abandons the exchange.
     *
     * <p>The default implementation calls {@link #call(LmRequest)} and emits one chunk per choice, the last
     * one carrying the usage.
     *
     * <pre>{@code
     * lm.stream(request).map(LmChunk::text).subscribe(System.out::print);
     * }</pre>
     *
     * @param request the request
     * @return the chunks, or an error signal carrying an {@link LmException}
     */
    default Flux<LmChunk> stream(LmRequest request) {
        return call(request).flatMapIterable(LmResponse::asChunks);
    }

    /**
     * A stable identity of this model for caches and logs: the same configuration gives the same id across
     * runs, and it never contains a secret. {@link OpenAiCompatibleLm} answers with its base URL, model and
     * default parameters (never its API key or headers).
     *
     * @return the identity; by default the implementation's class name
     */
    default String id() {
        return getClass().getName();
    }

    /**
     * The name of the model this client calls when a request names none (DSPy's {@code lm.model}), as users know it
     * from their configuration: the key under which a prediction's usage is totalled and priced
     * ({@code Prediction.usageByModel()}). A decorator returns its delegate's.
     *
     * @return the default model's name; null when the implementation has none (the default), and usage is then
     *         attributed to the name the response reports, else to {@link #id()}
     */
    default @Nullable String model() {
        return null;
    }
}
