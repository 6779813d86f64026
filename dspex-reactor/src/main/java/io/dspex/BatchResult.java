package io.dspex;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one input of {@link Program#batch}: its position, the input, and either the prediction or
 * the error. Exactly one of {@link #prediction()} and {@link #error()} is non-null.
 *
 * <pre>{@code
 * results.filter(BatchResult::isSuccess).map(BatchResult::prediction)
 * }</pre>
 *
 * @param index      the input's position in the batch, from 0
 * @param input      the input as the program received it (null only when the input itself was invalid)
 * @param prediction the prediction, or null when the run failed
 * @param error      the failure, or null when the run succeeded
 */
public record BatchResult(int index, @Nullable Example input, @Nullable Prediction prediction,
                          @Nullable Throwable error) {

    /** @throws IllegalArgumentException unless exactly one of prediction and error is given */
    public BatchResult {
        if ((prediction == null) == (error == null)) {
            throw new IllegalArgumentException("a batch result holds exactly one of a prediction and an error "
                    + "(index " + index + ")");
        }
    }

    /** @return whether the run produced a prediction */
    public boolean isSuccess() {
        return prediction != null;
    }

    /** @return the prediction, if the run succeeded */
    public Optional<Prediction> predictionIfPresent() {
        return Optional.ofNullable(prediction);
    }

    /**
     * @return the prediction
     * @throws BatchException wrapping the recorded error when the run failed
     */
    public Prediction orElseThrow() {
        if (error != null) {
            throw new BatchException(index, error);
        }
        return prediction;
    }

    @Override
    public String toString() {
        return "BatchResult[" + index + ": " + (isSuccess() ? prediction : "error " + error) + "]";
    }

    /** The error of one batch input, rethrown by {@link #orElseThrow()}; the cause is the original failure. */
    public static final class BatchException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int index;

        BatchException(int index, Throwable cause) {
            super("batch input " + index + " failed: " + cause, cause);
            this.index = index;
        }

        /** @return the failed input's position in the batch */
        public int index() {
            return index;
        }
    }
}
