/**
 * Language-model clients: {@link io.dspex.lm.LanguageModel}, a stateless function from an
 * {@link io.dspex.lm.LmRequest} to a lazy {@code Mono} of an {@link io.dspex.lm.LmResponse} (or a {@code Flux}
 * of {@link io.dspex.lm.LmChunk}s when streamed), its implementations over Reactor Netty for OpenAI-compatible servers
 * ({@link io.dspex.lm.OpenAiCompatibleLm}), Anthropic's Messages API ({@link io.dspex.lm.AnthropicLm}) and the Gemini
 * API ({@link io.dspex.lm.GeminiLm}), and the typed {@link io.dspex.lm.LmException} family.
 *
 * <p>Errors are unchecked and nested in {@link io.dspex.lm.LmException}, so they read and catch as
 * {@code LmException.RateLimit}, {@code LmException.ContextWindowExceeded}, {@code LmException.Connection}, ...;
 * every HTTP status error extends {@code LmException.HttpError}. Each says whether it
 * {@linkplain io.dspex.lm.LmException#isRetryable() may be retried} and how long the server asked to wait.
 *
 * <p>{@link io.dspex.lm.RateLimit} limits any model to requests and tokens per minute, shared by every program that
 * calls through it: {@code RateLimit.of(lm).requestsPerMinute(500).tokensPerMinute(200_000).build()}.
 *
 * <p>{@link io.dspex.lm.LmCache} caches calls (DSPy's {@code dspy.cache}): a bounded in-memory cache plus an optional
 * directory that survives a restart; {@code cache.wrap(lm)} gives a caching {@code LanguageModel}.
 *
 * <pre>{@code
 * LanguageModel lm = OpenAiCompatibleLm.builder()
 *     .baseUrl("http://localhost:11434/v1").model("llama3.2").build();
 * lm.call(LmRequest.of(List.of(Message.user("Hello"))))
 *     .map(LmResponse::text)
 *     .onErrorResume(LmException.RateLimit.class, e -> Mono.just("busy, retry after " + e.retryAfter()));
 * }</pre>
 */
@NullMarked
package io.dspex.lm;

import org.jspecify.annotations.NullMarked;
