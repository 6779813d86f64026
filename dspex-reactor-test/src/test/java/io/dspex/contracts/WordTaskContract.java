package io.dspex.contracts;

import io.dspex.Example;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.Message;
import io.dspex.test.ScriptedLm;
import io.dspex.test.TeleprompterContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The task the library's optimizers are checked on: a question {@code category:word} is answered with the word
 * reversed, but only when a demo of the same category is in the prompt (else "unknown"). So demos matter, the metric
 * passes for some runs and fails for others, and the answers depend only on the request.
 */
abstract class WordTaskContract extends TeleprompterContract {

    static final List<String> CATEGORIES = List.of("animal", "colour", "city");
    static final List<String> WORDS = List.of("cat", "dog", "owl", "red", "tan", "blue", "rome", "oslo", "lima");
    static final Metric EXACT = Metrics.exactMatch("answer");

    @Override
    protected List<Example> trainset() {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < WORDS.size(); i++) {
            String w = WORDS.get(i);
            out.add(Example.of(Map.of("question", CATEGORIES.get(i % 3) + ":" + w,
                    "answer", new StringBuilder(w).reverse().toString())).withInputs("question"));
        }
        return out;
    }

    @Override
    protected ScriptedLm createLm() {
        return ScriptedLm.answering(req -> {
            String last = ScriptedLm.lastUserMessage(req);
            String q = last.substring(last.indexOf("]]\n") + 3, last.indexOf("\n\n"));
            String category = q.substring(0, q.indexOf(':'));
            List<Message> ms = req.messages();
            boolean relevant = false;
            for (int i = 0; i < ms.size() - 1; i++) {
                if (ms.get(i).role() == Message.Role.USER && ms.get(i).content().contains("]]\n" + category + ":")) {
                    relevant = true;
                }
            }
            String answer = relevant ? new StringBuilder(q.substring(q.indexOf(':') + 1)).reverse().toString()
                    : "unknown";
            return "[[ ## reasoning ## ]]\nBy the demos.\n\n[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]";
        });
    }
}
