package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Runs a test class with Netty's leak detector at PARANOID (every buffer tracked) and fails it when the detector
 * reports a leaked buffer. Reports are captured from the {@code io.netty.util.ResourceLeakDetector} logger, where
 * Netty logs its {@code LEAK:} errors; after the class, garbage is collected and buffers allocated so that the
 * detector drains its reference queue and reports whatever leaked.
 */
final class NettyLeakWatcher implements BeforeAllCallback, AfterAllCallback {

    static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    private static final AppenderBase<ILoggingEvent> APPENDER = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent e) {
            String m = e.getFormattedMessage();
            if (m != null && m.contains("LEAK:")) {
                LEAKS.add(m);
            }
        }
    };

    private ResourceLeakDetector.Level previous;

    @Override
    public void beforeAll(ExtensionContext context) {
        previous = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        Logger logger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        if (!APPENDER.isStarted()) {
            APPENDER.setContext(logger.getLoggerContext());
            APPENDER.setName("netty-leaks");
            APPENDER.start();
        }
        if (logger.getAppender("netty-leaks") == null) {
            logger.addAppender(APPENDER);
        }
        LEAKS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            drain(3);
            assertThat(LEAKS).as("Netty reported leaked buffers in %s", context.getDisplayName()).isEmpty();
        } finally {
            ResourceLeakDetector.setLevel(previous);
        }
    }

    /** Collects garbage and allocates tracked buffers so the detector reports what was collected unreleased. */
    static void drain(int rounds) {
        for (int r = 0; r < rounds; r++) {
            System.gc();
            LockSupport.parkNanos(30_000_000);
            for (int i = 0; i < 200; i++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                b.release();
            }
        }
    }
}
