package io.dspex.evaluate;

import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * How an evaluation shows its progress: a live bar on a terminal, log lines elsewhere, nothing in CI or when
 * disabled. {@link #update} is called one at a time from Reactor threads and never blocks; opening and closing
 * the bar (terminal detection, the final render) run on {@code boundedElastic}.
 */
abstract class ProgressDisplay {

    private static final Logger LOG = LoggerFactory.getLogger(Evaluate.class);

    enum Mode { SILENT, LOG, BAR }

    abstract void update(int done, int total, int errors, double scoreSum);

    abstract void close();

    /** Chooses the mode from the user's wish, whether a terminal is attached and the {@code CI} variable. */
    static Mode choose(boolean enabled, boolean terminal, Map<String, String> env) {
        if (!enabled || isCi(env)) {
            return Mode.SILENT;
        }
        return terminal ? Mode.BAR : Mode.LOG;
    }

    static boolean isCi(Map<String, String> env) {
        String ci = env.get("CI");
        if (ci == null || ci.isBlank()) {
            return false;
        }
        String v = ci.trim().toLowerCase(Locale.ROOT);
        return !v.equals("false") && !v.equals("0");
    }

    /** {@code System.console() != null}, and on JDK 22+ also {@code Console.isTerminal()}. */
    static boolean terminalAttached() {
        Object console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = console.getClass().getMethod("isTerminal");
            return Boolean.TRUE.equals(isTerminal.invoke(console));
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Opens the display for a run of {@code total} examples; a bar is built on boundedElastic. */
    static Mono<ProgressDisplay> open(Mode mode, int total) {
        switch (mode) {
            case BAR:
                return Mono.fromCallable(() -> (ProgressDisplay) new Bar(total))
                        .subscribeOn(Schedulers.boundedElastic());
            case LOG:
                return Mono.fromSupplier(() -> new LogLines(total));
            default:
                return Mono.fromSupplier(Silent::new);
        }
    }

    /** Closes the display; the bar's final render waits on its own thread, so that runs on boundedElastic. */
    Mono<Void> closeAsync() {
        return Mono.<Void>fromRunnable(this::close);
    }

    static String describe(double scoreSum, int done) {
        double pct = done == 0 ? 0 : Math.round(1000.0 * scoreSum / done) / 10.0;
        return String.format(Locale.ROOT, "Average Metric: %.2f / %d (%.1f%%)", scoreSum, done, pct);
    }

    static final class Silent extends ProgressDisplay {
        @Override
        void update(int done, int total, int errors, double scoreSum) {
        }

        @Override
        void close() {
        }
    }

    /** A log line each time another tenth of the dev set finishes, and at the end. */
    static final class LogLines extends ProgressDisplay {
        private final int step;
        private int nextAt;

        LogLines(int total) {
            this.step = Math.max(1, (total + 9) / 10);
            this.nextAt = step;
        }

        @Override
        void update(int done, int total, int errors, double scoreSum) {
            if (done >= nextAt || done == total) {
                while (nextAt <= done) {
                    nextAt += step;
                }
                LOG.info("Evaluated {} / {} examples ({} errors). {}", done, total, errors, describe(scoreSum, done));
            }
        }

        @Override
        void close() {
        }
    }

    /** The live console bar (progressbar renders on its own thread; updates only set fields). */
    static final class Bar extends ProgressDisplay {
        private final ProgressBar bar;

        Bar(int total) {
            this.bar = new ProgressBarBuilder()
                    .setTaskName("Evaluate")
                    .setInitialMax(total)
                    .setUpdateIntervalMillis(100)
                    .build();
        }

        @Override
        void update(int done, int total, int errors, double scoreSum) {
            bar.setExtraMessage(describe(scoreSum, done) + (errors > 0 ? " errors: " + errors : ""));
            bar.stepTo(done);
        }

        @Override
        void close() {
            bar.close();
        }

        @Override
        Mono<Void> closeAsync() {
            return Mono.<Void>fromRunnable(bar::close).subscribeOn(Schedulers.boundedElastic());
        }
    }
}
