package io.dspex.retrieve;

import org.jspecify.annotations.Nullable;

/**
 * An embedder's answer cannot be used: it returned a different number of vectors than texts, an empty vector, a
 * value that is not a finite number, vectors of different dimensions, or vectors whose dimension differs from an
 * index's; or a local model failed to run. The message names the position and the sizes involved.
 *
 * <pre>{@code
 * index.search("query", 3).onErrorResume(EmbeddingException.class, e -> Mono.just(List.of()));
 * }</pre>
 */
public final class EmbeddingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong, naming the position and sizes
     */
    public EmbeddingException(String message) {
        super(message);
    }

    /**
     * @param message what was wrong
     * @param cause   the underlying failure
     */
    public EmbeddingException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
