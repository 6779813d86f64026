package io.dspex.evaluate;

/**
 * Hears about an evaluation's progress, once per finished example.
 *
 * <p>Called on the thread that finished the example, one call at a time (calls never overlap), so keep it
 * cheap and non-blocking. An exception thrown by the listener is logged and does not stop the evaluation.
 *
 * <pre>{@code
 * Evaluate.builder()
 *     .progressListener((done, total, errors, score) ->
 *         metrics.gauge("eval.progress", (double) done / total))
 *     ...
 * }</pre>
 */
@FunctionalInterface
public interface ProgressListener {

    /**
     * @param done         examples finished so far (successes and failures)
     * @param total        examples in the dev set
     * @param errors       failures so far
     * @param runningScore mean score of the finished examples in percent (failures count with the failure
     *                     score), not rounded
     */
    void onProgress(int done, int total, int errors, double runningScore);
}
