package io.dspex.retrieve.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our tokenizer gives exactly the ids of Hugging Face's, on the fixture's tricky texts. */
class WordPieceTokenizerTest {

    private static WordPieceTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = WordPieceTokenizerTest.class.getClassLoader()
                .getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            tokenizer = WordPieceTokenizer.fromTokenizerJson(in);
        }
    }

    @Test
    void matchesHuggingFaceTokenizersOnEveryFixtureText() {
        JsonNode cases = References.ROOT.get("tokenizations");
        assertThat(cases.size()).isGreaterThanOrEqualTo(30);
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            List<Integer> expected = new ArrayList<>();
            c.get("ids").forEach(id -> expected.add(id.asInt()));
            List<Integer> actual = new ArrayList<>();
            actual.add(tokenizer.clsId());
            for (int id : tokenizer.encode(text)) {
                actual.add(id);
            }
            actual.add(tokenizer.sepId());
            assertThat(actual).as("ids of %s (Hugging Face's tokens: %s)", text, c.get("tokens")).isEqualTo(expected);
        }
    }

    @Test
    void normalizesAndSplitsAsBert() {
        assertThat(WordPieceTokenizer.normalize("Ça\u00a0VA\u0007?")).isEqualTo("ca va?");
        assertThat(WordPieceTokenizer.preTokenize("don't stop")).containsExactly("don", "'", "t", "stop");
        assertThat(WordPieceTokenizer.preTokenize(WordPieceTokenizer.normalize("漢字ok"))).containsExactly("漢", "字",
                "ok");
        assertThat(tokenizer.vocabularySize()).isEqualTo(30522);
        assertThat(tokenizer.encode("   ")).isEmpty();
    }
}
