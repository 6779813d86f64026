package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Program;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * An optimizer: compiles a student program against a training set into an improved copy (DSPy's
 * {@code Teleprompter}). The student is never changed; the returned program has the student's class.
 *
 * <pre>{@code
 * Teleprompter optimizer = BootstrapFewShot.builder().metric(Metrics.exactMatch("answer")).build();
 * Predict compiled = optimizer.compile(Predict.of("question -> answer"), trainset).block();
 * }</pre>
 */
@FunctionalInterface
public interface Teleprompter {

    /**
     * Compiles lazily: nothing runs until the returned {@code Mono} is subscribed, and each subscription is an
     * independent compilation.
     *
     * @param student  the program to improve (unchanged)
     * @param trainset the training examples, with their input keys marked
     * @param <P>      the program's type
     * @return a {@code Mono} of the compiled copy
     * @throws IllegalArgumentException when an argument is null or a training example is null or has no input keys
     */
    <P extends Program> Mono<P> compile(P student, List<Example> trainset);
}
