package io.dspex.optimize;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A language model for the optimizer tests: answers every choice of a request with a function of the request (which
 * returns the output fields), in the ChatAdapter's format, and records the requests.
 */
final class RecordingLm implements LanguageModel {

    private final Function<LmRequest, Map<String, String>> answer;
    final ConcurrentLinkedQueue<LmRequest> requests = new ConcurrentLinkedQueue<>();

    RecordingLm(Function<LmRequest, Map<String, String>> answer) {
        this.answer = answer;
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        return Mono.fromCallable(() -> {
            requests.add(request);
            int n = request.config().n() == null ? 1 : request.config().n();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                texts.add(chat(answer.apply(request)));
            }
            return LmResponse.of(texts, Usage.ZERO);
        });
    }

    List<LmRequest> requests() {
        return new ArrayList<>(requests);
    }

    static String chat(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((k, v) -> sb.append("[[ ## ").append(k).append(" ## ]]\n").append(v).append("\n\n"));
        return sb.append("[[ ## completed ## ]]").toString();
    }

    static String system(LmRequest r) {
        return r.messages().get(0).content();
    }

    static String lastUser(LmRequest r) {
        List<Message> ms = r.messages();
        return ms.get(ms.size() - 1).content();
    }

    /** The value of the first input field in the last user message. */
    static String firstInput(LmRequest r) {
        String u = lastUser(r);
        int start = u.indexOf("]]\n") + 3;
        return u.substring(start, u.indexOf("\n\n", start));
    }

    static Map<String, String> fields(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /**
     * The word task of the fixtures: reverses the word when the instructions say "revers", upper-cases it when
     * they say "upper", else echoes it. It sees only the prompt.
     */
    static RecordingLm wordTask() {
        return new RecordingLm(RecordingLm::wordAnswer);
    }

    /** What {@link #wordTask()} answers. */
    Map<String, String> answerFor(LmRequest r) {
        return answer.apply(r);
    }

    static Map<String, String> wordAnswer(LmRequest r) {
        {
            String word = firstInput(r);
            String sys = system(r);
            String objective = sys.substring(sys.indexOf("your objective is:")).toLowerCase(java.util.Locale.ROOT);
            String answer = objective.contains("revers") ? new StringBuilder(word).reverse().toString()
                    : objective.contains("upper") ? word.toUpperCase(java.util.Locale.ROOT) : word;
            return fields("answer", answer);
        }
    }
}
