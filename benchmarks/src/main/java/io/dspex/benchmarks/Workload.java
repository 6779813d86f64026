package io.dspex.benchmarks;

import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.Message;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;

/** What every system sends and what the server answers: one DSPy-formatted question, one parseable reply. */
final class Workload {

    static final String MODEL = "mock-model";
    static final String API_KEY = "bench-key";
    static final Signature SIGNATURE = Signature.parse("question -> answer");
    static final String QUESTION = "What is the capital of France? Answer with the name of the city only.";
    static final String ANSWER = "Paris";
    /** The ChatAdapter reply for {@link #SIGNATURE}: what a model following DSPy's format answers. */
    static final String REPLY = "[[ ## answer ## ]]\n" + ANSWER + "\n\n[[ ## completed ## ]]";
    /** Content chunks in every streamed reply. */
    static final int STREAM_CHUNKS = 500;
    /** A ChatAdapter reply that MockLmServer streams as exactly {@link #STREAM_CHUNKS} content chunks (one a word). */
    static final String STREAM_REPLY = streamReply();

    private Workload() {
    }

    /** @return the messages DSPEx's ChatAdapter formats for the question: every system sends these */
    static List<Message> messages() {
        return new ChatAdapter().format(SIGNATURE, List.of(), Map.of("question", QUESTION));
    }

    static Map<String, Object> inputs() {
        return Map.of("question", QUESTION);
    }

    private static String streamReply() {
        // "[[", " ##", " answer", " ##", " ]]" and "\n\n[[", " ##", " completed", " ##", " ]]" are 10 chunks;
        // the body words (the first carries the header's newline) make up the rest.
        StringBuilder sb = new StringBuilder("[[ ## answer ## ]]\n");
        int words = STREAM_CHUNKS - 10;
        for (int i = 0; i < words; i++) {
            sb.append(i == 0 ? "" : " ").append("token").append(i);
        }
        return sb.append("\n\n[[ ## completed ## ]]").toString();
    }

    /** @return how many chunks MockLmServer streams for a text: one per word, spaces kept with the next word */
    static int chunksOf(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            boolean ws = Character.isWhitespace(text.charAt(i));
            if (i == 0 || (ws && !Character.isWhitespace(text.charAt(i - 1)))) {
                n++;
            }
        }
        return n;
    }
}
