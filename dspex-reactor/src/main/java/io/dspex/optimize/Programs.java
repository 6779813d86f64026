package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.Program;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Helpers shared by the optimizers. */
final class Programs {

    private Programs() {
    }

    /** Casts a copy made from {@code original} back to its type, failing clearly when a class broke the contract. */
    @SuppressWarnings("unchecked")
    static <P extends Program> P sameType(P original, @Nullable Program copy) {
        if (copy == null || !original.getClass().isInstance(copy)) {
            throw new IllegalStateException("copying a " + original.getClass().getName() + " returned "
                    + (copy == null ? "null" : "a " + copy.getClass().getName())
                    + "; withNamedPredictors/withDemos must return the same class");
        }
        return (P) copy;
    }

    static <T> T requireArg(@Nullable T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    /** Copies a training set, checking that every example is present and has its input keys marked. */
    static List<Example> trainset(List<Example> trainset, String what) {
        requireArg(trainset, what);
        List<Example> out = new ArrayList<>(trainset.size());
        int i = 0;
        for (Iterator<Example> it = trainset.iterator(); it.hasNext(); i++) {
            Example e = it.next();
            if (e == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            if (e.inputKeys().isEmpty()) {
                throw new IllegalArgumentException(what + "[" + i + "] has no input keys: call withInputs(...) on it "
                        + "(its keys are " + e.keys() + ")");
            }
            out.add(e);
        }
        return out;
    }

    /** Checks that student and teacher have the same predictors, in order, with equal signatures. */
    static void checkSameStructure(Program student, Program teacher) {
        Map<String, Predictor> s = student.namedPredictors();
        Map<String, Predictor> t = teacher.namedPredictors();
        if (!new ArrayList<>(s.keySet()).equals(new ArrayList<>(t.keySet()))) {
            throw new IllegalArgumentException("student and teacher must have the same program structure: student "
                    + "predictors " + s.keySet() + ", teacher predictors " + t.keySet());
        }
        for (Map.Entry<String, Predictor> e : s.entrySet()) {
            if (!e.getValue().signature().equals(t.get(e.getKey()).signature())) {
                throw new IllegalArgumentException("student and teacher must have the same signatures: predictor '"
                        + e.getKey() + "' has " + e.getValue().signature() + " in the student and "
                        + t.get(e.getKey()).signature() + " in the teacher");
            }
        }
    }

    /** Whether any predictor of the program holds demos (how a teacher counts as already compiled). */
    static boolean hasDemos(Program p) {
        for (Predictor pr : p.namedPredictors().values()) {
            if (!pr.demos().isEmpty()) {
                return true;
            }
        }
        return false;
    }
}
