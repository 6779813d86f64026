package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.retrieve.Embeddings;
import io.dspex.retrieve.Passage;
import io.dspex.retrieve.local.LocalEmbedder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RagTest {

    /** Questions about the bundled corpus, each with the passage that answers it. */
    private static final Map<String, String> ANSWERED_BY = Map.ofEntries(
            Map.entry("When was the Larkspur Observatory opened?", "the astronomer Mira Castell opened it in 1911"),
            Map.entry("How long is the River Tamsin?", "The River Tamsin is 48 kilometres long"),
            Map.entry("Who designed the Harrowmere Clock Tower?", "designed by the architect Elena Fairweather"),
            Map.entry("How deep is Lake Ossel?", "Lake Ossel is 112 metres deep"),
            Map.entry("Who is the current mayor of Harrowmere?", "The current mayor of Harrowmere is Tobias Wren"),
            Map.entry("When did the railway to Dunmore open?", "railway to the hill village of Dunmore opened in 1887"),
            Map.entry("How many books does the public library have?", "Library holds about 40,000 books"),
            Map.entry("What festival happens in October?", "Every October the town holds the Lantern Festival"),
            Map.entry("How high is Mount Callan?", "rises to 2,310 metres above sea level"),
            Map.entry("How long does the ferry to Pell take?", "the crossing takes 25 minutes"),
            Map.entry("What is the population of the town?", "About 12,500 people live in Harrowmere"),
            Map.entry("Which comet did the astronomer discover?", "discovered the comet that now carries her name"),
            Map.entry("What happened to the old lighthouse?", "was converted into a café in 2004"),
            Map.entry("Where does the football club play?", "plays its home games at Tamsin Park"),
            Map.entry("Can you walk to Mossholm island in winter?", "skaters can reach the small island of Mossholm"),
            Map.entry("What is the town's most famous food?", "best-known dish is smoked lake trout"));

    /** Open for the whole class, so that the sample's own embedder shares its loaded model. */
    private static LocalEmbedder embedder;

    @BeforeAll
    static void loadTheModelOnce() {
        embedder = LocalEmbedder.allMiniLmL6V2();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    @Test
    void retrievalFindsTheAnsweringPassageOfTheBundledCorpus() {
        List<String> corpus = Rag.corpus();
        assertThat(corpus).hasSize(24).noneMatch(p -> p.startsWith("#"));
        Embeddings index = Embeddings.of(corpus, embedder).block();
        List<String> questions = List.copyOf(ANSWERED_BY.keySet());
        List<List<Passage>> found = index.searchAll(questions, Rag.K).block();
        int first = 0;
        for (int i = 0; i < questions.size(); i++) {
            String expected = ANSWERED_BY.get(questions.get(i));
            List<String> texts = found.get(i).stream().map(Passage::text).toList();
            assertThat(texts).as("top %d for %s", Rag.K, questions.get(i)).anyMatch(t -> t.contains(expected));
            if (texts.get(0).contains(expected)) {
                first++;
            }
        }
        // Recall@3 is 1.0 above; the best passage comes first for at least 14 of the 16 questions.
        assertThat(first).isGreaterThanOrEqualTo(14);
    }

    @Test
    void printsPassagesReasoningAndAnswersFromTheSimulatedModelOverHttp() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Provider provider = Provider.simulated();
             PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Samples.run("rag", List.of(), out, provider);
            assertThat(provider.server().orElseThrow().requestCount()).isEqualTo(Rag.QUESTIONS.size());
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed)
                .contains("Embedded 24 passages with all-MiniLM-L6-v2")
                .contains("Q: When was the Larkspur Observatory opened?")
                .containsPattern("\\[1] 0\\.\\d{3}  The Larkspur Observatory stands on Cinder Hill")
                .contains("reasoning: Passage [1] says: \"The Larkspur Observatory stands on Cinder Hill")
                .contains("answer:    1911")
                .contains("answer:    48 kilometres")
                .contains("answer:    Elena Fairweather")
                .contains("answer:    112 metres")
                .contains("answer:    Tobias Wren");
        // Each question prints its K passages, best first.
        List<Double> scores = printed.lines().filter(l -> l.matches("  \\[\\d] 0\\.\\d{3}  .*"))
                .map(l -> Double.parseDouble(l.substring(6, 11))).toList();
        assertThat(scores).hasSize(Rag.K * Rag.QUESTIONS.size());
        for (int q = 0; q < Rag.QUESTIONS.size(); q++) {
            assertThat(scores.subList(q * Rag.K, (q + 1) * Rag.K)).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        }
    }
}
