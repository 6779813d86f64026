package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import reactor.blockhound.BlockingOperationError;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class LmCacheTest {

    private static final LmRequest REQUEST = LmRequest.of(List.of(Message.user("What is 2+2?")));
    private static final Usage USAGE = Usage.of(10, 5);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** A model with a stable id that counts its calls and answers through a function. */
    static final class CountingLm implements LanguageModel {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger streams = new AtomicInteger();
        private final Function<LmRequest, Mono<LmResponse>> answer;

        CountingLm(Function<LmRequest, Mono<LmResponse>> answer) {
            this.answer = answer;
        }

        static CountingLm answering(String text) {
            return new CountingLm(r -> Mono.just(response(text)));
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.defer(() -> {
                calls.incrementAndGet();
                return answer.apply(request);
            });
        }

        @Override
        public Flux<LmChunk> stream(LmRequest request) {
            return Flux.defer(() -> {
                streams.incrementAndGet();
                return Flux.just(LmChunk.of("streamed"));
            });
        }

        @Override
        public String id() {
            return "counting-lm";
        }
    }

    static LmResponse response(String text) {
        return new LmResponse(List.of(new LmResponse.Choice(text, "stop")), USAGE, "m-1", "req-1",
                "{\"id\":\"req-1\",\"choices\":[{\"message\":{\"content\":\"" + text + "\"}}]}");
    }

    @Test
    void aHitReturnsTheSameTextWithZeroUsage() {
        LmCache cache = LmCache.inMemory(100);
        CountingLm lm = CountingLm.answering("4");

        StepVerifier.create(cache.call(lm, REQUEST))
                .assertNext(r -> assertThat(r.usage()).isEqualTo(USAGE))
                .verifyComplete();
        StepVerifier.create(cache.call(lm, REQUEST))
                .assertNext(r -> {
                    assertThat(r.text()).isEqualTo("4");
                    assertThat(r.usage()).isEqualTo(Usage.ZERO);
                    assertThat(r.model()).isEqualTo("m-1");
                    assertThat(r.requestId()).isEqualTo("req-1");
                })
                .verifyComplete();
        assertThat(lm.calls).hasValue(1);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.stats()).isEqualTo(new LmCache.Stats(1, 1, 0, 0));
        assertThat(cache.stats().requests()).isEqualTo(2);
    }

    @Test
    void fiftyConcurrentIdenticalCallsMakeOneUnderlyingCall() {
        Sinks.One<LmResponse> gate = Sinks.one();
        CountingLm lm = new CountingLm(r -> gate.asMono());
        LmCache cache = LmCache.inMemory(100);

        List<CompletableFuture<LmResponse>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            results.add(cache.call(lm, REQUEST).toFuture());
        }
        assertThat(results).noneMatch(CompletableFuture::isDone);
        gate.tryEmitValue(response("4"));

        List<LmResponse> answers = results.stream().map(CompletableFuture::join).toList();
        assertThat(answers).extracting(LmResponse::text).containsOnly("4").hasSize(50);
        assertThat(answers).filteredOn(r -> r.usage().equals(USAGE)).hasSize(1);
        assertThat(lm.calls).hasValue(1);
        assertThat(cache.stats()).isEqualTo(new LmCache.Stats(0, 1, 0, 49));
    }

    @Test
    void fiftyOverlappingCallsOnParallelThreadsWithDiskMakeOneCallWithoutBlocking() {
        CountingLm lm = new CountingLm(r -> Mono.delay(Duration.ofMillis(200)).thenReturn(response("4")));
        LmCache cache = LmCache.builder().directory(dir).build();

        Mono<List<LmResponse>> all = Flux.range(0, 50)
                .flatMap(i -> cache.call(lm, REQUEST).subscribeOn(Schedulers.parallel()), 50)
                .collectList();
        StepVerifier.create(all)
                .assertNext(list -> assertThat(list).extracting(LmResponse::text).containsOnly("4").hasSize(50))
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(lm.calls).hasValue(1);
        assertThat(cache.stats().misses()).isEqualTo(1);
        assertThat(cache.stats().requests()).isEqualTo(50);

        // A restarted cache answers from disk on a parallel thread: the file read must hop off it.
        LmCache restarted = LmCache.builder().directory(dir).build();
        StepVerifier.create(restarted.call(lm, REQUEST).subscribeOn(Schedulers.parallel()))
                .assertNext(r -> assertThat(r.text()).isEqualTo("4"))
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(restarted.clear().subscribeOn(Schedulers.parallel())).expectComplete().verify(TIMEOUT);
        assertThat(lm.calls).hasValue(1);
    }

    @Test
    void blockHoundCatchesNioFileIoOnParallelThreadsSoTheTestAboveMeansSomething() throws Exception {
        Path x = Files.writeString(dir.resolve("x"), "content");
        Mono<byte[]> blocking = Mono.fromCallable(() -> Files.readAllBytes(x))
                .subscribeOn(Schedulers.parallel());
        StepVerifier.create(blocking).expectError(BlockingOperationError.class).verify(TIMEOUT);
    }

    @Test
    void failuresAreNotCachedAndReachEverySubscriberOfTheSharedCall() {
        AtomicInteger attempt = new AtomicInteger();
        Sinks.One<LmResponse> gate = Sinks.one();
        CountingLm lm = new CountingLm(r -> attempt.incrementAndGet() == 1
                ? gate.asMono()
                : Mono.just(response("ok")));
        LmCache cache = LmCache.inMemory(100);

        CompletableFuture<LmResponse> first = cache.call(lm, REQUEST).toFuture();
        CompletableFuture<LmResponse> second = cache.call(lm, REQUEST).toFuture();
        gate.tryEmitError(new LmException.Connection("connection reset", null));
        assertThat(first).isCompletedExceptionally();
        assertThat(second).isCompletedExceptionally();
        assertThat(cache.size()).isZero();

        StepVerifier.create(cache.call(lm, REQUEST))
                .assertNext(r -> assertThat(r.text()).isEqualTo("ok"))
                .verifyComplete();
        assertThat(lm.calls).hasValue(2);
        StepVerifier.create(cache.call(lm, REQUEST))
                .assertNext(r -> assertThat(r.usage()).isEqualTo(Usage.ZERO))
                .verifyComplete();
        assertThat(lm.calls).hasValue(2);
    }

    @Test
    void anEmptyOrThrowingModelIsAnErrorAndNotCached() {
        AtomicInteger attempt = new AtomicInteger();
        CountingLm lm = new CountingLm(r -> {
            int n = attempt.incrementAndGet();
            if (n == 1) {
                return Mono.empty();
            }
            if (n == 2) {
                throw new IllegalStateException("boom");
            }
            return Mono.just(response("fine"));
        });
        LmCache cache = LmCache.inMemory(10);
        StepVerifier.create(cache.call(lm, REQUEST))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("counting-lm").hasMessageContaining("without a response"))
                .verify();
        StepVerifier.create(cache.call(lm, REQUEST)).expectErrorMessage("boom").verify();
        StepVerifier.create(cache.call(lm, REQUEST)).expectNextCount(1).verifyComplete();
        assertThat(lm.calls).hasValue(3);
    }

    @Test
    void aRestartOnTheSameDirectoryKeepsEntries() {
        CountingLm lm = CountingLm.answering("Paris");
        LmCache first = LmCache.builder().maxEntries(10).directory(dir).build();
        LmResponse original = first.call(lm, REQUEST).block(TIMEOUT);
        assertThat(original.usage()).isEqualTo(USAGE);

        String key = LmCacheKey.of(lm, REQUEST);
        Path file = dir.resolve(key.substring(0, 2)).resolve(key + ".json");
        assertThat(file).exists();
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).containsExactly(file); // no temporary file left
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }

        LmCache restarted = LmCache.builder().maxEntries(10).directory(dir).build();
        CountingLm failing = new CountingLm(r -> Mono.error(new AssertionError("must not be called")));
        StepVerifier.create(restarted.call(failing, REQUEST))
                .assertNext(r -> {
                    assertThat(r.text()).isEqualTo("Paris");
                    assertThat(r.usage()).isEqualTo(Usage.ZERO);
                    assertThat(r.model()).isEqualTo("m-1");
                    assertThat(r.requestId()).isEqualTo("req-1");
                    assertThat(r.raw()).isEqualTo(original.raw());
                    assertThat(r.choices()).isEqualTo(original.choices());
                })
                .verifyComplete();
        StepVerifier.create(restarted.call(failing, REQUEST)).expectNextCount(1).verifyComplete();
        assertThat(failing.calls).hasValue(0);
        assertThat(restarted.stats()).isEqualTo(new LmCache.Stats(1, 0, 1, 0));
        assertThat(restarted.size()).isEqualTo(1);
    }

    @Test
    void aCorruptFileIsAMissLoggedOnceWithItsPathButNotItsContent() throws Exception {
        CountingLm lm = CountingLm.answering("fresh");
        String key = LmCacheKey.of(lm, REQUEST);
        Path file = dir.resolve(key.substring(0, 2)).resolve(key + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"v\":1,\"key\":\"" + key + "\",\"response\":{\"choices\":[{\"text\":\"PRIVATE");

        Logger logger = (Logger) LoggerFactory.getLogger(LmCache.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            LmCache cache = LmCache.builder().directory(dir).build();
            StepVerifier.create(cache.call(lm, REQUEST))
                    .assertNext(r -> {
                        assertThat(r.text()).isEqualTo("fresh");
                        assertThat(r.usage()).isEqualTo(USAGE);
                    })
                    .verifyComplete();
            assertThat(lm.calls).hasValue(1);
            assertThat(appender.list).hasSize(1);
            ILoggingEvent event = appender.list.get(0);
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains(file.toString()).doesNotContain("PRIVATE");

            // The answer replaced the corrupt file, so a restart hits it.
            LmCache restarted = LmCache.builder().directory(dir).build();
            StepVerifier.create(restarted.call(lm, REQUEST))
                    .assertNext(r -> assertThat(r.text()).isEqualTo("fresh"))
                    .verifyComplete();
            assertThat(lm.calls).hasValue(1);
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void aFileForAnotherKeyOrFormatIsAMiss() throws Exception {
        CountingLm lm = CountingLm.answering("fresh");
        String key = LmCacheKey.of(lm, REQUEST);
        Path file = dir.resolve(key.substring(0, 2)).resolve(key + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"v\":1,\"key\":\"" + "0".repeat(64) + "\",\"written\":0,"
                + "\"response\":{\"choices\":[{\"text\":\"stale\",\"finishReason\":\"stop\"}]}}");
        LmCache cache = LmCache.builder().directory(dir).build();
        StepVerifier.create(cache.call(lm, REQUEST).map(LmResponse::text)).expectNext("fresh").verifyComplete();

        Files.writeString(file, "[]", StandardCharsets.UTF_8);
        StepVerifier.create(LmCache.builder().directory(dir).build().call(lm, REQUEST).map(LmResponse::text))
                .expectNext("fresh").verifyComplete();
        assertThat(lm.calls).hasValue(2);
    }

    @Test
    void cancellingOneSubscriberDoesNotCancelTheSharedCall() {
        Sinks.One<LmResponse> gate = Sinks.one();
        AtomicBoolean cancelled = new AtomicBoolean();
        CountingLm lm = new CountingLm(r -> gate.asMono().doOnCancel(() -> cancelled.set(true)));
        LmCache cache = LmCache.inMemory(100);

        AtomicBoolean loaderGotValue = new AtomicBoolean();
        Disposable loader = cache.call(lm, REQUEST).subscribe(r -> loaderGotValue.set(true));
        CompletableFuture<LmResponse> other = cache.call(lm, REQUEST).toFuture();
        loader.dispose(); // the subscriber that started the call goes away

        gate.tryEmitValue(response("still here"));
        assertThat(other.join().text()).isEqualTo("still here");
        assertThat(cancelled).isFalse();
        assertThat(loaderGotValue).isFalse();
        assertThat(lm.calls).hasValue(1);

        // Even with every subscriber gone, the answer was cached.
        StepVerifier.create(cache.call(lm, REQUEST).map(LmResponse::text)).expectNext("still here").verifyComplete();
        assertThat(lm.calls).hasValue(1);
    }

    @Test
    void theSharedCallRunsWithTheContextOfTheSubscriberThatStartedIt() {
        CountingLm lm = new CountingLm(r -> Mono.deferContextual(ctx -> Mono.just(response(ctx.get("who")))));
        LmCache cache = LmCache.inMemory(10);
        StepVerifier.create(cache.call(lm, REQUEST).map(LmResponse::text).contextWrite(c -> c.put("who", "alice")))
                .expectNext("alice")
                .verifyComplete();
    }

    @Test
    void wrapCachesCallsKeepsTheIdAndStreamsStraightThrough() {
        CountingLm lm = CountingLm.answering("4");
        LmCache cache = LmCache.inMemory(10);
        LanguageModel cached = cache.wrap(lm);

        assertThat(cached.id()).isEqualTo("counting-lm");
        StepVerifier.create(cached.call(REQUEST).then(cached.call(REQUEST)).map(LmResponse::usage))
                .expectNext(Usage.ZERO).verifyComplete();
        assertThat(lm.calls).hasValue(1);

        StepVerifier.create(cached.stream(REQUEST).concatWith(cached.stream(REQUEST)).map(LmChunk::text))
                .expectNext("streamed", "streamed").verifyComplete();
        assertThat(lm.streams).hasValue(2);
        assertThat(lm.calls).hasValue(1);
        assertThatThrownBy(() -> cache.wrap(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lm");
    }

    @Test
    void clearEmptiesMemoryAndEntryFilesButLeavesOtherFiles() throws Exception {
        CountingLm lm = CountingLm.answering("4");
        Path mine = Files.writeString(dir.resolve("notes.txt"), "keep me");
        LmCache cache = LmCache.builder().directory(dir).build();
        cache.call(lm, REQUEST).block(TIMEOUT);
        cache.call(lm, REQUEST.withConfig(REQUEST.config().withRolloutId("2"))).block(TIMEOUT);
        assertThat(cache.size()).isEqualTo(2);

        StepVerifier.create(cache.clear()).verifyComplete();
        assertThat(cache.size()).isZero();
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).containsExactly(mine);
        }
        cache.call(lm, REQUEST).block(TIMEOUT);
        assertThat(lm.calls).hasValue(3);
    }

    @Test
    void entriesExpireInMemoryAndOnDisk() {
        AtomicLong now = new AtomicLong(1_000_000);
        CountingLm lm = CountingLm.answering("4");
        LmCache cache = LmCache.builder().expireAfterWrite(Duration.ofMinutes(10)).directory(dir)
                .clock(now::get).build();
        cache.call(lm, REQUEST).block(TIMEOUT);
        now.addAndGet(TimeUnit.MINUTES.toMillis(9));
        cache.call(lm, REQUEST).block(TIMEOUT);
        LmCache restarted = LmCache.builder().expireAfterWrite(Duration.ofMinutes(10)).directory(dir)
                .clock(now::get).build();
        restarted.call(lm, REQUEST).block(TIMEOUT);
        assertThat(lm.calls).hasValue(1);

        // Caffeine stamps the write when it sees the load complete, which may trail the subscriber by a moment
        // (and so the clock advance above): jump well past both stamps.
        now.addAndGet(TimeUnit.MINUTES.toMillis(11));
        cache.call(lm, REQUEST).block(TIMEOUT);
        assertThat(lm.calls).hasValue(2);
        LmCache later = LmCache.builder().expireAfterWrite(Duration.ofMinutes(10)).directory(dir)
                .clock(() -> now.get() + TimeUnit.MINUTES.toMillis(11)).build();
        later.call(lm, REQUEST).block(TIMEOUT);
        assertThat(lm.calls).hasValue(3);
    }

    @Test
    void badConfigurationAndArgumentsAreTypedErrors() throws Exception {
        assertThatThrownBy(() -> LmCache.inMemory(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxEntries");
        assertThatThrownBy(() -> LmCache.builder().expireAfterWrite(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expireAfterWrite");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> LmCache.builder().directory(file).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a-file");
        LmCache cache = LmCache.inMemory(1);
        StepVerifier.create(cache.call(null, REQUEST)).expectError(IllegalArgumentException.class).verify();
        StepVerifier.create(cache.call(CountingLm.answering("x"), null))
                .expectError(IllegalArgumentException.class).verify();
        StepVerifier.create(cache.call(CountingLm.answering("x"), REQUEST.withConfig(REQUEST.config().withExtra("bad", new Object()))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("extra['bad']"))
                .verify();
    }
}
