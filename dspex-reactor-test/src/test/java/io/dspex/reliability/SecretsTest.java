package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.dspex.BatchResult;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.StreamEvent;
import io.dspex.evaluate.Evaluate;
import io.dspex.evaluate.EvaluationResult;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmException;
import io.dspex.lm.LmHistory;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;





/**
 * A full pipeline (predict, retry, stream, batch, evaluate, save, cache on disk, history, embeddings, failures whose
 * error bodies echo the key) runs with a marker API key while every logger, Netty's and Reactor's included, logs
 * at DEBUG into a capturing appender. Every log line, exception (with causes, suppressed and stack traces),
 * {@code toString()} of the objects involved, exported result and file on disk is scanned: the key never appears.
 * The server must have received it as {@code Authorization: Bearer}, so it was really in play.
 */
@Timeout(60)
class SecretsTest {

    static final String KEY = "sk-MARKER-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4";
    /** Enough of the key that any leak, even a partly masked one, shows. */
    static final String MARK = "7f3a9c1e5b2d4f60";

    final List<String> logLines = new CopyOnWriteArrayList<>();
    final List<String> scanned = new ArrayList<>();
    AppenderBase<ILoggingEvent> appender;
    Level previousRoot;

    @TempDir
    Path dir;

    @BeforeEach
    void captureEveryLogLineAtDebug() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        previousRoot = root.getLevel();
        root.setLevel(Level.DEBUG);
        for (String name : List.of("io.netty", "reactor", "reactor.netty", "io.dspex")) {
            ctx.getLogger(name).setLevel(Level.DEBUG);
        }
        appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                StringBuilder sb = new StringBuilder(e.getLoggerName()).append(' ').append(e.getFormattedMessage());
                if (e.getThrowableProxy() != null) {
                    sb.append('\n').append(ThrowableProxyUtil.asString(e.getThrowableProxy()));
                }
                logLines.add(sb.toString());
            }
        };
        appender.setContext(ctx);
        appender.start();
        root.addAppender(appender);
    }

    @AfterEach
    void restoreLogging() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAppender(appender);
        root.setLevel(previousRoot);
        for (String name : List.of("io.netty", "reactor", "reactor.netty", "io.dspex")) {
            ctx.getLogger(name).setLevel(null);
        }
    }

    private void scan(String what, Object o) {
        String s = String.valueOf(o);
        scanned.add(what);
        assertThat(s).as("%s must not reveal the key", what).doesNotContain(MARK);
    }

    private void scanThrowable(String what, Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        scan(what + " (stack trace with causes and suppressed)", sw);
        scan(what + " message", t.getMessage());
        scan(what + " toString", t);
    }

    @Test
    void theKeyNeverLeaks() throws IOException {
        Path cacheDir = dir.resolve("cache");
        try (MockLmServer server = MockLmServer.create()
                .reply(r -> Rel.chatAnswer("A-" + Rel.idOf(r)))
                // Servers that echo the credentials they received in their error messages:
                .faultWhen(r -> Rel.idOf(r) == 1 && r.number() <= 2,
                        Fault.status(503, "upstream rejected Authorization: Bearer " + KEY))
                .faultWhen(r -> Rel.idOf(r) == 2, Fault.status(401, "Incorrect API key provided: " + KEY))
                .faultWhen(r -> Rel.idOf(r) == 3, Fault.statusWithBody(200, "not json, your key was " + KEY))
                .start();
             OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).apiKey(KEY)
                     .model("mock-model").responseTimeout(Duration.ofSeconds(10)).build()) {
            LmCache cache = LmCache.builder().maxEntries(1_000).directory(cacheDir).build();
            Settings settings = Settings.empty().withLm(cache.wrap(lm)).withRetry(Rel.FAST);
            Predict qa = Predict.of("question -> answer");
            List<Object> objects = new ArrayList<>(List.of(lm, settings, qa, cache, server));

            // predict through a retry whose failed attempts echo the key
            Prediction retried = qa.forward(Map.of("question", "q-1")).contextWrite(settings.asContext())
                    .block(Duration.ofSeconds(10));
            assertThat(retried.get("answer")).isEqualTo("A-1");
            objects.add(retried);
            // a cache hit, and a chain of thought
            objects.add(qa.forward(Map.of("question", "q-1")).contextWrite(settings.asContext()).block());
            objects.add(ChainOfThought.of("question -> answer").forward(Map.of("question", "q-5"))
                    .contextWrite(settings.asContext()).onErrorResume(e -> {
                        scanThrowable("chain of thought error", e);
                        return reactor.core.publisher.Mono.empty();
                    }).block());
            // failures that echo the key: 401 and a malformed body
            for (int id : new int[] {2, 3}) {
                Throwable error = qa.forward(Map.of("question", "q-" + id)).contextWrite(settings.asContext())
                        .map(p -> (Throwable) null).onErrorResume(reactor.core.publisher.Mono::just)
                        .block(Duration.ofSeconds(10));
                assertThat(error).isInstanceOf(LmException.class);
                scanThrowable("error of q-" + id, error);
                objects.add(error);
            }
            // streaming
            List<StreamEvent> events = qa.stream(Map.of("question", "q-6")).contextWrite(settings.asContext())
                    .collectList().block(Duration.ofSeconds(10));
            objects.addAll(events);
            // a batch, with a failing input recorded as its error
            List<BatchResult> batch = qa.batch(List.of(Map.of("question", "q-7"), Map.of("question", "q-2")), 2)
                    .contextWrite(settings.asContext()).collectList().block(Duration.ofSeconds(10));
            objects.addAll(batch);
            batch.stream().filter(b -> b.error() != null).forEach(b -> scanThrowable("batch error", b.error()));
            // evaluate
            List<Example> dev = Stream.of(5, 6, 7, 8, 2).map(i -> Example.of(Map.of("question", "q-" + i,
                    "answer", "A-" + i)).withInputs("question")).toList();
            EvaluationResult result = Evaluate.builder().devset(dev).metric(Metrics.exactMatch("answer"))
                    .concurrency(4).maxErrors(Evaluate.UNLIMITED_ERRORS).build().run(qa)
                    .contextWrite(settings.asContext()).block(Duration.ofSeconds(20));
            assertThat(result.errorCount()).isEqualTo(1);
            objects.add(result);
            scan("evaluation table", result.table(10));
            scan("evaluation CSV", result.toCsv());
            scan("evaluation JSON", result.toJson());
            scan("evaluation JSONL", result.toJsonl());
            result.rows().forEach(r -> r.error().ifPresent(e -> scanThrowable("evaluation row error", e)));
            // a plain LM call, and embeddings
            LmRequest request = LmRequest.of(List.of(Message.user("q-9")));
            objects.add(request);
            objects.add(lm.call(request).block(Duration.ofSeconds(10)));
            objects.add(lm.embed(List.of("hello")).map(List::size).block(Duration.ofSeconds(10)));
            objects.add(LmHistory.global().inspect(20));
            objects.add(lm.poolStats());
            // save a program that holds the LM and demos; the file must not hold the key
            Predict withLm = qa.withLm(lm).withDemos(List.of(Example.of(Map.of("question", "q-1", "answer", "A-1"))));
            withLm.save(dir.resolve("program.json"));
            objects.add(withLm.load(dir.resolve("program.json")));
            objects.add(lm.id());

            // The key was really in play: every request carried it.
            assertThat(server.requests()).isNotEmpty();
            for (ParsedRequest r : server.requests()) {
                assertThat(r.header("Authorization")).isEqualTo("Bearer " + KEY);
            }
            for (Object o : objects) {
                scan("toString of " + (o == null ? "null" : o.getClass().getSimpleName()), o);
            }
        }

        // Files the pipeline wrote: the disk cache's entries and their names.
        assertThat(cacheDir).exists();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).as("the disk cache wrote entries").isNotEmpty();
        for (Path f : files) {
            scan("file name " + f, f.toString());
            scan("file " + f.getFileName(), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        }
        // Every log line, at DEBUG from every logger.
        assertThat(logLines).as("DEBUG logging was captured").isNotEmpty();
        assertThat(logLines).anyMatch(l -> l.startsWith("io.dspex") || l.startsWith("reactor"));
        for (String line : logLines) {
            scan("log line", line);
        }
        assertThat(scanned.size()).isGreaterThan(logLines.size());
    }

    @Test
    void aKeyInAnErrorEchoIsMaskedEvenWhenTheServerMangledIt() {
        // Servers often echo a key partly masked or as part of a URL; anything that looks like a key is scrubbed.
        try (MockLmServer server = MockLmServer.create()
                .fault(Fault.status(400, "bad key sk-proj-" + MARK + "abcdef in header")).start();
             OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).apiKey(KEY)
                     .model("m").build()) {
            assertThatThrownBy(() -> Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "q"))
                    .block(Duration.ofSeconds(10)))
                    .isInstanceOf(LmException.BadRequest.class)
                    .satisfies(e -> scanThrowable("400 echoing a key-like token", e));
        }
    }
}
