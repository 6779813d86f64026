package io.dspex.internal;

/**
 * Marks a module that calls a language model itself and accounts for its own usage: it records each call's usage
 * in the enclosing modules' trackers ({@code UsageTracker.record}) and sets its prediction's usage per model itself.
 * {@code Module.forward} then opens no usage scope for it (no Context write, no extra operator per call: the
 * cost of a leaf predictor's forward). {@code Predict} is one. Not for users.
 */
public interface OwnUsage {
}
