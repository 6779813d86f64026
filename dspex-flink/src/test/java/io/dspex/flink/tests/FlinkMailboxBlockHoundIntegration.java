package io.dspex.flink.tests;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Allows the one brief lock wait of Flink's async I/O operator on a Reactor thread: completing a
 * {@code ResultFuture} (from the Netty event loop that delivered the LM's response) puts a mail into the task's
 * mailbox under a {@code ReentrantLock} that the task thread holds only to move mails; under contention the
 * completing thread parks for that moment.
 *
 * <p>And one wait of Flink's own: its relocated Netty registers Netty's BlockHound integration too, so the REST
 * endpoint's Netty threads count as non-blocking, and the MiniCluster's shutdown waits on them for an executor to
 * terminate ({@code ExecutorUtils.gracefulShutdown}). Nothing else is allowed.
 */
public final class FlinkMailboxBlockHoundIntegration implements BlockHoundIntegration {

    /** Created by BlockHound's service loader. */
    public FlinkMailboxBlockHoundIntegration() {
    }

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailboxImpl", "put")
                .allowBlockingCallsInside("org.apache.flink.util.ExecutorUtils", "gracefulShutdown");
    }
}
