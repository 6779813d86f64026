package io.dspex.retrieve;

import io.dspex.lm.GeminiLm;
import io.dspex.lm.OpenAiCompatibleLm;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Texts to vectors (DSPy's {@code dspy.Embedder}): a lazy function from a list of texts to one vector per text, in
 * order. Nothing happens until the returned {@code Mono} is subscribed, and each subscription embeds again (unless
 * a cache answers).
 *
 * <p>Implementations: {@link #of(OpenAiCompatibleLm)} (the provider's {@code /embeddings} endpoint),
 * {@code io.dspex.retrieve.local.LocalEmbedder.allMiniLmL6V2()} from the module {@code dspex-embeddings-local} (a
 * model running in-process), or any lambda. {@link #builder(Embedder)} wraps any of them with DSPy's batching,
 * optional normalization, an {@link EmbeddingCache} and checks of what the model returns.
 *
 * <pre>{@code
 * Embedder embedder = Embedder.of(OpenAiCompatibleLm.builder()
 *         .baseUrl("https://api.openai.com/v1").apiKey(key).model("gpt-4o-mini")
 *         .embeddingModel("text-embedding-3-small").build());
 * List<float[]> vectors = embedder.embed(List.of("hello", "world")).block();
 *
 * Embedder custom = Embedder.builder(texts -> myModel.embed(texts)).batchSize(64).normalize(true)
 *         .cache(EmbeddingCache.inMemory(1_000)).build();
 * }</pre>
 */
@FunctionalInterface
public interface Embedder {

    /**
     * Embeds texts. Lazy: nothing runs until subscription.
     *
     * @param texts the texts; an empty list gives an empty list
     * @return one vector per text, in input order; an error signal on failure ({@link IllegalArgumentException}
     *         for bad input, {@link EmbeddingException} for an unusable answer, an {@code LmException} from a
     *         remote model)
     */
    Mono<List<float[]>> embed(List<String> texts);

    /**
     * A stable identity of this embedder for caches and logs: the same model and configuration give the same id
     * across runs, and it never contains a secret.
     *
     * @return the identity; by default the implementation's class name
     */
    default String id() {
        return getClass().getName();
    }

    /**
     * The embedder of an OpenAI-compatible client: its {@link OpenAiCompatibleLm#embed(List)} ({@code /embeddings}
     * with the client's embedding model) in batches of 200 texts, as DSPy's {@code Embedder} sends them; the id is
     * the client's {@link OpenAiCompatibleLm#id() id}, which names the base URL and the embedding model.
     *
     * <pre>{@code
     * Embedder embedder = Embedder.of(lm);
     * Embedder cached = Embedder.builder(embedder).cache(EmbeddingCache.inMemory(10_000)).build();
     * }</pre>
     *
     * @param lm the client
     * @return the embedder (not normalizing, not cached: use {@link #builder(Embedder)} for those)
     * @throws IllegalArgumentException when {@code lm} is null
     */
    static Embedder of(OpenAiCompatibleLm lm) {
        if (lm == null) {
            throw new IllegalArgumentException("Embedder.of: lm must not be null");
        }
        return builder(lm::embed).id(lm.id()).build();
    }

    /**
     * The embedder of a Gemini client: its {@link GeminiLm#embed(List)} ({@code batchEmbedContents} with the
     * client's embedding model, else its model) in batches of 100 texts, the most one Gemini batch request takes;
     * the id is the client's {@link GeminiLm#id() id}, which names the base URL, API version and embedding model.
     * Gemini's vectors of a reduced dimensionality are not normalized: normalize them with {@link #builder} when the
     * raw dot product matters ({@link Embeddings} compares by cosine anyway).
     *
     * <pre>{@code
     * GeminiLm gemini = GeminiLm.builder().apiKey(key).model("gemini-2.5-flash")
     *         .embeddingModel("gemini-embedding-001").build();
     * Embedder embedder = Embedder.of(gemini);
     * }</pre>
     *
     * @param lm the client
     * @return the embedder (not normalizing, not cached: use {@link #builder(Embedder)} for those)
     * @throws IllegalArgumentException when {@code lm} is null
     */
    static Embedder of(GeminiLm lm) {
        if (lm == null) {
            throw new IllegalArgumentException("Embedder.of: lm must not be null");
        }
        return builder(lm::embed).id(lm.id()).batchSize(100).build();
    }

    /**
     * A builder around a model: batching (DSPy's {@code batch_size}, default 200), optional L2 normalization
     * (default off, as in DSPy), an optional cache, and checks of the model's answer.
     *
     * @param model the underlying embedder (a lambda, {@code lm::embed}, another embedder)
     * @return the builder
     * @throws IllegalArgumentException when {@code model} is null
     */
    static Builder builder(Embedder model) {
        if (model == null) {
            throw new IllegalArgumentException("Embedder.builder: model must not be null");
        }
        return new Builder(model);
    }

    /**
     * Configures an embedder around a model. The built embedder:
     * <ul>
     *   <li>rejects a null list, and a null, empty or blank text, with an {@link IllegalArgumentException} naming
     *       its position (a remote API rejects empty inputs; an empty text has nothing to embed), before any
     *       call;</li>
     *   <li>splits the texts into batches of {@link #batchSize(int)} in order and sends at most
     *       {@link #concurrency(int)} batches at once (DSPy sends one after the other: the default is 1);</li>
     *   <li>answers each batch from the {@link #cache(EmbeddingCache) cache} when one is set, keyed by the
     *       {@link #id(String) id} and the batch's texts, and otherwise asks the model;</li>
     *   <li>fails with an {@link EmbeddingException} when the model answers a batch with a different number of
     *       vectors, an empty vector, a non-finite value, or vectors whose dimensions differ;</li>
     *   <li>scales every vector to length 1 when {@link #normalize(boolean)} is on (a zero vector stays zero).</li>
     * </ul>
     *
     * <pre>{@code
     * Embedder e = Embedder.builder(lm::embed).id(lm.id()).batchSize(100).concurrency(4).normalize(true).build();
     * }</pre>
     */
    final class Builder {
        private final Embedder model;
        private int batchSize = 200;
        private int concurrency = 1;
        private boolean normalize;
        private @Nullable EmbeddingCache cache;
        private @Nullable String id;

        private Builder(Embedder model) {
            this.model = model;
        }

        /**
         * @param batchSize texts per model call, at least 1 (default 200, DSPy's)
         * @return this builder
         * @throws IllegalArgumentException when {@code batchSize < 1}
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param concurrency batches in flight at once, at least 1 (default 1)
         * @return this builder
         * @throws IllegalArgumentException when {@code concurrency < 1}
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * @param normalize scale every vector to unit length (default false)
         * @return this builder
         */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        /**
         * Caches the model's answers per batch (as DSPy caches each batch's request): identical batches through the
         * same cache are embedded once, concurrent ones share one call, failures are not cached. Normalization is
         * applied after the cache, so one cache serves both settings.
         *
         * @param cache the cache, or null for none (the default)
         * @return this builder
         */
        public Builder cache(@Nullable EmbeddingCache cache) {
            this.cache = cache;
            return this;
        }

        /**
         * The identity of the built embedder, part of every cache key. Set it for a lambda model whose class name
         * changes between runs (a disk cache would otherwise never find its entries again). Must not hold a secret.
         *
         * @param id the identity, or null for the model's {@link Embedder#id()} (the default)
         * @return this builder
         * @throws IllegalArgumentException when blank
         */
        public Builder id(@Nullable String id) {
            if (id != null && id.isBlank()) {
                throw new IllegalArgumentException("id must not be blank");
            }
            this.id = id;
            return this;
        }

        /** @return the embedder */
        public Embedder build() {
            return new BatchingEmbedder(model, id != null ? id : model.id(), batchSize, concurrency, normalize, cache);
        }
    }
}
