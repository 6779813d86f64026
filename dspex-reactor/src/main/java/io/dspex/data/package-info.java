/**
 * Reading datasets into {@link io.dspex.Example}s (JSON Lines, JSON, CSV) and splitting them into train and dev
 * sets with a seed (DSPy's {@code dspy.DataLoader}).
 *
 * <pre>{@code
 * List<Example> all = Datasets.readJsonl(Path.of("qa.jsonl"), "question");
 * Datasets.Split split = Datasets.split(all, 0.8, 42);
 * Evaluate.builder().devset(split.dev()) ...
 * }</pre>
 */
@NullMarked
package io.dspex.data;

import org.jspecify.annotations.NullMarked;
