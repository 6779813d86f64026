package io.dspex.benchmarks;

import com.openai.client.OpenAIClientAsync;
import com.openai.client.OpenAIClientAsyncImpl;
import com.openai.client.okhttp.OpenAIOkHttpClientAsync;
import com.openai.core.ClientOptions;
import com.openai.core.http.AsyncStreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import dev.langchain4j.http.client.jdk.JdkHttpClientBuilder;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.dspex.StreamEvent;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.observe.LmMeterObservationHandler;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.test.MockLmServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.context.Context;

/** The systems compared: each makes one chat call, or one stream, the way its users would. */
final class Systems {

    private Systems() {
    }

    /** One system under test, ready to call the server. */
    interface Target extends AutoCloseable {

        /** @return completes when one chat call has completed and its answer was checked */
        CompletableFuture<?> call();

        /**
         * @param firstChunk run once, when the first chunk arrives
         * @return completes with the number of chunks received when the stream has ended
         */
        CompletableFuture<Integer> stream(Runnable firstChunk);

        @Override
        void close();
    }

    /**
     * @param name        the system
     * @param baseUrl     the server's {@code http://127.0.0.1:PORT/v1}
     * @param concurrency calls in flight: the pool (or thread pool) size
     * @return the system, connected to nothing yet
     */
    static Target create(String name, String baseUrl, int concurrency) {
        switch (name) {
            case Scenario.RAW:
                return new Raw(baseUrl, concurrency, true);
            case Scenario.RAW_DEFAULT:
                return new Raw(baseUrl, concurrency, false);
            case Scenario.LM_CALL:
                return new LmCall(baseUrl, concurrency);
            case Scenario.PREDICT:
                return new PredictTarget(baseUrl, concurrency, false);
            case Scenario.PREDICT_OBSERVED:
                return new PredictTarget(baseUrl, concurrency, true);
            case Scenario.LANGCHAIN4J:
                return new LangChain4j(baseUrl, concurrency);
            case Scenario.OPENAI_JAVA:
                return new OpenAiJava(baseUrl, concurrency);
            case Scenario.OPENAI_JAVA_DEFAULT:
                return new OpenAiJava(baseUrl, 0);
            case Scenario.REACT:
                return new Agents.DspexReact(baseUrl, concurrency);
            case Scenario.LANGCHAIN4J_AGENT:
                return new Agents.LangChain4jAgent(baseUrl, concurrency);
            default:
                throw new IllegalArgumentException("unknown system '" + name + "'; known: " + KNOWN);
        }
    }

    /** Every system {@link #create} knows. */
    static final List<String> KNOWN = List.of(Scenario.RAW, Scenario.RAW_DEFAULT, Scenario.LM_CALL, Scenario.PREDICT,
            Scenario.PREDICT_OBSERVED, Scenario.LANGCHAIN4J, Scenario.OPENAI_JAVA, Scenario.OPENAI_JAVA_DEFAULT,
            Scenario.REACT,
            Scenario.LANGCHAIN4J_AGENT);

    static OpenAiCompatibleLm dspexLm(String baseUrl, int concurrency) {
        return OpenAiCompatibleLm.builder().baseUrl(baseUrl).apiKey(Workload.API_KEY).model(Workload.MODEL)
                .maxConnections(concurrency).build();
    }

    static void check(String answer) {
        if (answer == null || !answer.contains(Workload.ANSWER)) {
            throw new IllegalStateException("unexpected answer: " + answer);
        }
    }

    /**
     * The exact bytes OpenAiCompatibleLm sends for the workload's messages, captured from an in-process
     * MockLmServer's recorded request.
     */
    static byte[] capturedBody(boolean stream) {
        try (MockLmServer server = MockLmServer.create().reply(Workload.REPLY).start();
             OpenAiCompatibleLm lm = dspexLm(server.baseUrl(), 1)) {
            LmRequest request = LmRequest.of(Workload.messages());
            if (stream) {
                lm.stream(request).blockLast(Duration.ofSeconds(30));
            } else {
                lm.call(request).block(Duration.ofSeconds(30));
            }
            return server.lastRequest().rawBody().getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * A bare Reactor Netty POST of the same bytes, reading the body without parsing it. With {@code best} (the
     * {@code reactor-netty-raw} baseline), it is configured as well as this stack allows: its pool arms
     * pending-acquire timeouts on a Netty {@code HashedWheelTimer} instead of Reactor Netty's default
     * ({@code Schedulers.parallel()}), and it is given its URL as a parsed {@code URI} (a {@code String} is matched
     * against regular expressions on every request). Without ({@code reactor-netty-raw-default}) it keeps both
     * defaults. Either way the request sender is built once.
     */
    static final class Raw implements Target {
        private static final HashedWheelTimer WHEEL =
                new HashedWheelTimer(new DefaultThreadFactory("raw-wheel", true), 10, TimeUnit.MILLISECONDS);

        private final ConnectionProvider provider;
        private final HttpClient.RequestSender post;
        private final byte[] body;
        private final byte[] streamBody;

        Raw(String baseUrl, int concurrency, boolean best) {
            String url = baseUrl + "/chat/completions";
            this.body = capturedBody(false);
            this.streamBody = capturedBody(true);
            ConnectionProvider.Builder pool = ConnectionProvider.builder("raw").maxConnections(concurrency)
                    .pendingAcquireMaxCount(-1).pendingAcquireTimeout(Duration.ofSeconds(60));
            if (best) {
                pool.pendingAcquireTimer((task, delay) -> {
                    Timeout t = WHEEL.newTimeout(x -> task.run(), delay.toNanos(), TimeUnit.NANOSECONDS);
                    return t::cancel;
                });
            }
            this.provider = pool.build();
            HttpClient client = HttpClient.create(provider).keepAlive(true).headers(h -> {
                h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + Workload.API_KEY);
            });
            this.post = best ? client.post().uri(URI.create(url)) : client.post().uri(url);
        }

        @Override
        public CompletableFuture<?> call() {
            return post.send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                    .responseSingle((res, content) -> {
                        if (res.status().code() != 200) {
                            return Mono.error(new IllegalStateException("status " + res.status()));
                        }
                        return content.asByteArray();
                    }).toFuture();
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            AtomicBoolean first = new AtomicBoolean();
            AtomicInteger events = new AtomicInteger();
            AtomicLong last = new AtomicLong();
            return post.send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(streamBody)))
                    .responseContent()
                    .doOnNext(buf -> {
                        if (first.compareAndSet(false, true)) {
                            firstChunk.run();
                        }
                        events.addAndGet(countEvents(buf, last));
                    })
                    .then(Mono.fromSupplier(events::get)).toFuture();
        }

        /** Counts SSE event ends ("\n\n"), carrying the previous buffer's last byte in {@code last}. */
        private static int countEvents(ByteBuf buf, AtomicLong last) {
            int n = 0;
            long prev = last.get();
            for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
                byte b = buf.getByte(i);
                if (b == '\n' && prev == '\n') {
                    n++;
                    prev = 0;
                } else {
                    prev = b;
                }
            }
            last.set(prev);
            return n;
        }

        @Override
        public void close() {
            provider.dispose();
        }
    }

    /** {@code OpenAiCompatibleLm.call} (and {@code stream}) with the same messages. */
    static final class LmCall implements Target {
        private final OpenAiCompatibleLm lm;
        private final LmRequest request = LmRequest.of(Workload.messages());

        LmCall(String baseUrl, int concurrency) {
            this.lm = dspexLm(baseUrl, concurrency);
        }

        @Override
        public CompletableFuture<?> call() {
            return lm.call(request).map(LmResponse::text).doOnNext(Systems::check).toFuture();
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            AtomicInteger chunks = new AtomicInteger();
            return lm.stream(request)
                    .filter(c -> c.text() != null && !c.text().isEmpty())
                    .doOnNext(c -> {
                        if (chunks.getAndIncrement() == 0) {
                            firstChunk.run();
                        }
                    })
                    .map(LmChunk::text)
                    .then(Mono.fromSupplier(chunks::get)).toFuture();
        }

        @Override
        public void close() {
            lm.close();
        }
    }

    /**
     * {@code Predict.forward}/{@code stream} with the ChatAdapter (formatting, the call, parsing); observed, every
     * call runs with an {@code ObservationRegistry} in its Context (as
     * {@code Settings.withObservationRegistry(..).asContext()} puts it there) whose handlers record the gen_ai meters
     * ({@code LmMeterObservationHandler}) into a {@code SimpleMeterRegistry} and spans through
     * {@code DefaultTracingObservationHandler} with the no-op tracer. Each call makes two observations (the predictor
     * and its request to the model). Micrometer's own {@code DefaultMeterObservationHandler} (a timer and a long
     * task timer per observation) is the application's choice and is not included.
     */
    static final class PredictTarget implements Target {
        private final OpenAiCompatibleLm lm;
        private final Predict predict;
        private final Function<Context, Context> settings;
        private final boolean observed;
        private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

        PredictTarget(String baseUrl, int concurrency, boolean observed) {
            this.lm = dspexLm(baseUrl, concurrency);
            this.predict = Predict.of(Workload.SIGNATURE).withLm(lm);
            if (observed) {
                ObservationRegistry observations = ObservationRegistry.create();
                observations.observationConfig()
                        .observationHandler(new LmMeterObservationHandler(meters))
                        .observationHandler(new DefaultTracingObservationHandler(Tracer.NOOP));
                this.settings = Settings.empty().withObservationRegistry(observations).asContext();
            } else {
                this.settings = Function.identity();
            }
            this.observed = observed;
        }

        @Override
        public CompletableFuture<?> call() {
            return predict.forward(Workload.inputs()).map(p -> (String) p.get("answer"))
                    .doOnNext(Systems::check).contextWrite(settings).toFuture();
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            AtomicInteger chunks = new AtomicInteger();
            return predict.stream(Workload.inputs()).contextWrite(settings)
                    .doOnNext(e -> {
                        if (e instanceof StreamEvent.Chunk && chunks.getAndIncrement() == 0) {
                            firstChunk.run();
                        }
                    })
                    .ofType(StreamEvent.Done.class)
                    .map(d -> {
                        // Predict streams field text, not the reply's 500 chunks one for one (the field markers are
                        // not field text): check that the answer holds every streamed word instead.
                        String answer = (String) d.prediction().get("answer");
                        if (!answer.startsWith("token0") || !answer.endsWith("token" + (Workload.STREAM_CHUNKS - 11))) {
                            throw new IllegalStateException("unexpected streamed answer: " + answer);
                        }
                        return Workload.STREAM_CHUNKS;
                    })
                    .single().toFuture();
        }

        @Override
        public void close() {
            lm.close();
            // A measurement of the observed system is only worth its name if the calls were observed.
            if (observed && meters.find(LmMeterObservationHandler.OPERATION_DURATION).timers().stream()
                    .mapToLong(io.micrometer.core.instrument.Timer::count).sum() == 0) {
                throw new IllegalStateException(Scenario.PREDICT_OBSERVED + " recorded no observation");
            }
        }
    }

    /**
     * LangChain4j's OpenAI chat model, blocking, driven from a thread pool the size of the concurrency. Its HTTP
     * client (LangChain4j's default, the JDK's {@code java.net.http.HttpClient}) is pinned to HTTP/1.1: by default
     * the JDK client asks a cleartext server to upgrade to HTTP/2 ({@code Upgrade: h2c}) on every new connection.
     */
    static final class LangChain4j implements Target {
        private final OpenAiChatModel model;
        private final OpenAiStreamingChatModel streaming;
        private final ExecutorService pool;
        private final List<ChatMessage> messages = new ArrayList<>();

        LangChain4j(String baseUrl, int concurrency) {
            this.model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(Workload.API_KEY)
                    .httpClientBuilder(http11()).modelName(Workload.MODEL).timeout(Duration.ofMinutes(5)).build();
            this.streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey(Workload.API_KEY)
                    .httpClientBuilder(http11()).modelName(Workload.MODEL).timeout(Duration.ofMinutes(5)).build();
            this.pool = Executors.newFixedThreadPool(concurrency);
            for (Message m : Workload.messages()) {
                messages.add(m.role() == Message.Role.SYSTEM ? SystemMessage.from(m.content())
                        : UserMessage.from(m.content()));
            }
        }

        @Override
        public CompletableFuture<?> call() {
            return CompletableFuture.supplyAsync(() -> {
                ChatResponse r = model.chat(messages);
                check(r.aiMessage().text());
                return r;
            }, pool);
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            AtomicInteger chunks = new AtomicInteger();
            streaming.chat(messages, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partial) {
                    if (chunks.getAndIncrement() == 0) {
                        firstChunk.run();
                    }
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(chunks.get());
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            return done;
        }

        /** LangChain4j's default HTTP client (the JDK's) on HTTP/1.1, as a cleartext server needs. */
        static JdkHttpClientBuilder http11() {
            return JdkHttpClient.builder().httpClientBuilder(
                    java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1));
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    /**
     * The official OpenAI Java SDK's async client (OkHttp). With a positive {@code concurrency} ({@code openai-java})
     * OkHttp's connection pool keeps that many idle connections and its dispatcher runs that many requests at once
     * (per host too), through {@link OpenAiJavaHttp}: the SDK's own OkHttp builder (4.8.0) exposes neither, so the
     * client is built the way the SDK provides for a custom transport ({@code ClientOptions.httpClient} and
     * {@code OpenAIClientAsyncImpl}). With 0 ({@code openai-java-default}) it is the SDK's builder with its defaults:
     * OkHttp's pool of 5 idle connections and a dispatcher of 64 requests in flight.
     */
    static final class OpenAiJava implements Target {
        private final OpenAIClientAsync client;
        private final ChatCompletionCreateParams params;

        OpenAiJava(String baseUrl, int concurrency) {
            this.client = concurrency > 0
                    ? new OpenAIClientAsyncImpl(ClientOptions.builder().httpClient(OpenAiJavaHttp.sized(concurrency))
                            .baseUrl(baseUrl).apiKey(Workload.API_KEY).build())
                    : OpenAIOkHttpClientAsync.builder().baseUrl(baseUrl).apiKey(Workload.API_KEY).build();
            ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder().model(Workload.MODEL);
            for (Message m : Workload.messages()) {
                if (m.role() == Message.Role.SYSTEM) {
                    b.addSystemMessage(m.content());
                } else {
                    b.addUserMessage(m.content());
                }
            }
            this.params = b.build();
        }

        @Override
        public CompletableFuture<?> call() {
            return client.chat().completions().create(params).thenApply((ChatCompletion c) -> {
                check(c.choices().get(0).message().content().orElse(null));
                return c;
            });
        }

        @Override
        public CompletableFuture<Integer> stream(Runnable firstChunk) {
            AtomicInteger chunks = new AtomicInteger();
            AsyncStreamResponse<ChatCompletionChunk> response = client.chat().completions().createStreaming(params);
            response.subscribe(chunk -> {
                for (ChatCompletionChunk.Choice c : chunk.choices()) {
                    if (c.delta().content().filter(s -> !s.isEmpty()).isPresent()
                            && chunks.getAndIncrement() == 0) {
                        firstChunk.run();
                    }
                }
            });
            return response.onCompleteFuture().thenApply(v -> chunks.get());
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
