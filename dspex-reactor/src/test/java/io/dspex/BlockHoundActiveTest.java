package io.dspex;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves BlockHound is installed in this module's test JVM (blockhound-junit-platform installs it for every
 * test): a blocking call on a non-blocking Reactor thread fails, so any such call in library code fails the build.
 */
class BlockHoundActiveTest {

    @Test
    void blockingOnAParallelThreadFails() {
        StepVerifier.create(Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                }).subscribeOn(Schedulers.parallel()))
                .expectErrorMatches(e -> e instanceof BlockingOperationError
                        && e.getMessage().contains("java.lang.Thread.sleep"))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void blockingOnBoundedElasticIsAllowed() {
        StepVerifier.create(Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                }).subscribeOn(Schedulers.boundedElastic()))
                .expectNext("slept")
                .verifyComplete();
    }
}
