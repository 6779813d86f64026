package io.dspex.retrieve;

/**
 * One search result of {@link Embeddings}: a passage of the corpus, its similarity to the query and its position
 * in the corpus.
 *
 * <pre>{@code
 * for (Passage p : index.search("capital of France", 3).block()) {
 *     System.out.printf("%.3f #%d %s%n", p.score(), p.index(), p.text());
 * }
 * }</pre>
 *
 * @param text  the passage
 * @param score the cosine similarity of the passage and the query (their dot product when the index does not
 *              normalize), higher is closer
 * @param index the passage's position in the corpus, from 0
 */
public record Passage(String text, double score, int index) {
}
