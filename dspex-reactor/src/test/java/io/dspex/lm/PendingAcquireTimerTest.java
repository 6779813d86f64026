package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

class PendingAcquireTimerTest {

    @Test
    void expiredWaitRunsOnAParallelThreadAfterItsDelay() throws Exception {
        CompletableFuture<String> ran = new CompletableFuture<>();
        long start = System.nanoTime();
        Disposable d = PendingAcquireTimer.INSTANCE.apply(() -> ran.complete(Thread.currentThread().getName()),
                Duration.ofMillis(100));
        String thread = ran.get(10, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(90);
        assertThat(thread).startsWith("parallel-");
        assertThat(d.isDisposed()).as("an expired timeout reports itself disposed").isTrue();
    }

    @Test
    void disposedWaitNeverRuns() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        Disposable d = PendingAcquireTimer.INSTANCE.apply(() -> ran.set(true), Duration.ofMillis(200));
        d.dispose();
        assertThat(d.isDisposed()).isTrue();
        CompletableFuture<Void> later = new CompletableFuture<>();
        PendingAcquireTimer.INSTANCE.apply(() -> later.complete(null), Duration.ofMillis(500));
        later.get(10, TimeUnit.SECONDS);
        assertThat(ran).as("the cancelled task, due well before the later one").isFalse();
    }
}
