package io.dspex.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.GeminiLm;
import io.dspex.lm.LmException;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.retrieve.Embedder;
import io.dspex.retrieve.EmbeddingCache;
import io.dspex.retrieve.Embeddings;
import io.dspex.retrieve.Passage;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The retrieval layer over a real HTTP embeddings endpoint (the kit's MockLmServer). */
class RetrievalEndToEndTest {

    private MockLmServer server;
    private OpenAiCompatibleLm lm;

    @BeforeEach
    void start() {
        server = MockLmServer.create().embeddingDimensions(12).start();
        lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("chat").embeddingModel("embed").build();
    }

    @AfterEach
    void stop() {
        lm.close();
        server.close();
    }

    @Test
    void embedderOfAClientSendsBatchesOf200InOrder() {
        List<String> texts = IntStream.range(0, 450).mapToObj(i -> "text " + i).toList();
        List<float[]> vectors = Embedder.of(lm).embed(texts).block(Duration.ofSeconds(30));
        assertThat(vectors).hasSize(450);
        assertThat(vectors.get(449)).containsExactly(MockLmServer.embeddingOf("text 449", 12));
        assertThat(server.requests().stream().map(ParsedRequest::inputs).map(List::size).toList())
                .containsExactly(200, 200, 50);
        assertThat(server.lastRequest().model()).isEqualTo("embed");
        assertThat(Embedder.of(lm).id()).isEqualTo(lm.id()).contains("embed");
    }

    @Test
    void embedderOfAGeminiClientSendsBatchesOf100InOrder() {
        try (MockLmServer gemini = MockLmServer.create(MockLmServer.Protocol.GEMINI).embeddingDimensions(12).start();
             GeminiLm g = GeminiLm.builder().baseUrl(gemini.baseUrl()).apiKey("test-key").model("gemini-2.5-flash")
                     .embeddingModel("gemini-embedding-001").build()) {
            List<String> texts = IntStream.range(0, 250).mapToObj(i -> "text " + i).toList();
            Embedder embedder = Embedder.of(g);
            List<float[]> vectors = embedder.embed(texts).block(Duration.ofSeconds(30));

            assertThat(vectors).hasSize(250);
            assertThat(vectors.get(249)).containsExactly(MockLmServer.embeddingOf("text 249", 12));
            assertThat(gemini.requests().stream().map(ParsedRequest::inputs).map(List::size).toList())
                    .containsExactly(100, 100, 50);
            assertThat(embedder.id()).isEqualTo(g.id()).contains("gemini-embedding-001").doesNotContain("test-key");
        }
    }

    @Test
    void aCachedEmbedderCallsTheServerOncePerDistinctBatch() {
        EmbeddingCache cache = EmbeddingCache.inMemory(100);
        Embedder cached = Embedder.builder(Embedder.of(lm)).batchSize(2).cache(cache).build();
        cached.embed(List.of("a", "b", "c")).block(Duration.ofSeconds(10));
        cached.embed(List.of("a", "b", "c")).block(Duration.ofSeconds(10));
        assertThat(server.requestCount()).isEqualTo(2);
        assertThat(cache.stats().hits()).isEqualTo(2);
    }

    @Test
    void anIndexSearchesThroughTheEndpointAndServerErrorsStayTyped() {
        List<String> corpus = List.of("alpha beta", "gamma delta", "epsilon zeta");
        Embeddings index = Embeddings.of(corpus, Embedder.of(lm)).block(Duration.ofSeconds(10));
        // The mock's vectors are a hash of the text: the passage itself is its own nearest neighbour.
        List<Passage> found = index.search("gamma delta", 1).block(Duration.ofSeconds(10));
        assertThat(found.get(0).index()).isEqualTo(1);
        assertThat(found.get(0).score()).isCloseTo(1.0, Offset.offset(1e-5));

        server.fault(Fault.status(429, "slow down"));
        StepVerifier.create(index.search("gamma delta", 1)).expectError(LmException.RateLimit.class)
                .verify(Duration.ofSeconds(10));
    }
}
