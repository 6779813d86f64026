package io.dspex.predict;

/**
 * A predictor could not turn an LM reply into a prediction for a reason other than parsing: for example the
 * provider returned a different number of choices than asked for with {@code n}, or a stream broke after
 * output had already been streamed. Not retried.
 */
public class PredictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong */
    public PredictException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying error
     */
    public PredictException(String message, Throwable cause) {
        super(message, cause);
    }
}
