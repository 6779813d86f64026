package io.dspex;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Checks shared by {@link Program#withNamedPredictors} implementations. */
final class ProgramPaths {

    private ProgramPaths() {
    }

    static void checkKnown(Map<String, ?> replacements, Map<String, ? extends Predictor> known) {
        if (replacements == null) {
            throw new IllegalArgumentException("predictor replacements must not be null");
        }
        Set<String> unknown = new TreeSet<>(replacements.keySet());
        unknown.removeAll(known.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("no predictor named " + unknown + " in this program; its predictors are "
                    + known.keySet());
        }
        for (Map.Entry<String, ?> e : replacements.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("replacement for predictor '" + e.getKey() + "' is null");
            }
        }
    }
}
