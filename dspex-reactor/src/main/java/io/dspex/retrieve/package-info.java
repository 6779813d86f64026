/**
 * Retrieval (DSPy's {@code dspy.Embedder}, {@code dspy.retrievers.Embeddings} and {@code dspy.Retrieve}): texts to
 * vectors, a corpus searched by them, and a step that brings passages into a program.
 *
 * <ul>
 *   <li>{@link io.dspex.retrieve.Embedder}: texts to one vector each, lazily; {@link io.dspex.retrieve.Embedder#of}
 *       embeds through an {@code OpenAiCompatibleLm}, {@link io.dspex.retrieve.Embedder#builder} adds batching,
 *       normalization and an {@link io.dspex.retrieve.EmbeddingCache}. A local model running in-process is in the
 *       separate module {@code dspex-embeddings-local} ({@code io.dspex.retrieve.local.LocalEmbedder}).</li>
 *   <li>{@link io.dspex.retrieve.Embeddings}: a corpus and its vectors, searched by cosine similarity: exactly over
 *       a contiguous matrix below a size threshold, through a Lucene HNSW graph above it; saved to and loaded from
 *       a directory.</li>
 *   <li>{@link io.dspex.retrieve.Retrieve}: a {@code Module} that answers a {@code query} with the best passages,
 *       for use inside your own modules (retrieval-augmented generation).</li>
 * </ul>
 */
@NullMarked
package io.dspex.retrieve;

import org.jspecify.annotations.NullMarked;
