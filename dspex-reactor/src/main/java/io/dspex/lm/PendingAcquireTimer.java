package io.dspex.lm;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * The timer behind every {@link OpenAiCompatibleLm} pool's pending-acquire timeout.
 *
 * <p>Reactor Netty arms that timeout each time a call has to wait for a pooled connection, which under a closed
 * loop is nearly every call: the next call subscribes before the previous one has handed its connection back. By
 * default the timeout goes to {@code Schedulers.parallel()}, whose delay queue locks and wakes a parked thread
 * on every schedule and cancel; measured at 64 calls in flight that cost several microseconds of CPU per call,
 * the largest single cost of the LM client's own. Arming or cancelling a timeout on a hashed wheel only appends
 * to a lock-free queue and wakes nobody: its one daemon thread ticks every 10 ms on its own, which is all the
 * precision a timeout counted in seconds needs.
 * One wheel serves every instance (Netty warns when a process makes many), started here, off any event loop,
 * because its first start waits for its thread. An expired wait is handed to {@code Schedulers.parallel()}, where
 * the default timer would have run it, so the error reaches the caller on the same kind of thread as before.
 */
final class PendingAcquireTimer implements BiFunction<Runnable, Duration, Disposable> {

    static final PendingAcquireTimer INSTANCE = new PendingAcquireTimer();

    private final HashedWheelTimer wheel;

    private PendingAcquireTimer() {
        this.wheel = new HashedWheelTimer(r -> {
            Thread t = new Thread(r, "dspex-lm-pending-acquire-timer");
            t.setDaemon(true);
            return t;
        }, 10, TimeUnit.MILLISECONDS, 512);
        wheel.start();
    }

    @Override
    public Disposable apply(Runnable task, Duration delay) {
        // An expired wait runs where it did before, on Schedulers.parallel(): the wheel's thread stays free.
        Timeout timeout = wheel.newTimeout(t -> Schedulers.parallel().schedule(task), delay.toNanos(),
                TimeUnit.NANOSECONDS);
        return new Disposable() {
            @Override
            public void dispose() {
                timeout.cancel();
            }

            @Override
            public boolean isDisposed() {
                return timeout.isCancelled() || timeout.isExpired();
            }
        };
    }
}
