/**
 * A local, in-process embedding model: {@link io.dspex.retrieve.local.LocalEmbedder} runs all-MiniLM-L6-v2 with ONNX
 * Runtime, offline, as an {@link io.dspex.retrieve.Embedder} for {@code io.dspex.retrieve.Embeddings} and
 * {@code KnnFewShot}.
 */
@NullMarked
package io.dspex.retrieve.local;

import org.jspecify.annotations.NullMarked;
