package io.dspex.evaluate;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.dspex.internal.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Renders evaluation rows as DSPy's merged records: table, CSV, JSON, JSONL. */
final class ResultFormat {

    private static final int MAX_WORDS = 25;
    private static final int MAX_WIDTH = 50;

    private ResultFormat() {
    }

    /** DSPy's {@code merge_dicts(example, prediction) | {metric_name: score}}, plus an error column when needed. */
    static List<Map<String, @Nullable Object>> records(List<EvaluationRow> rows, String metricName) {
        boolean anyFailed = rows.stream().anyMatch(EvaluationRow::failed);
        List<Map<String, @Nullable Object>> out = new ArrayList<>(rows.size());
        String errorKey = null;
        if (anyFailed) {
            errorKey = "error";
            for (EvaluationRow r : rows) {
                if (merge(r).containsKey("error") || metricName.equals("error")) {
                    errorKey = "evaluation_error";
                    break;
                }
            }
        }
        for (EvaluationRow r : rows) {
            Map<String, @Nullable Object> m = merge(r);
            m.put(metricName, r.score());
            if (errorKey != null && r.failed()) {
                Throwable t = r.error().get();
                m.put(errorKey, t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            }
            out.add(m);
        }
        return out;
    }

    private static Map<String, @Nullable Object> merge(EvaluationRow r) {
        Map<String, @Nullable Object> ex = r.example().toMap();
        Map<String, @Nullable Object> pred = r.prediction().map(p -> p.toMap()).orElse(Map.of());
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        ex.forEach((k, v) -> m.put(pred.containsKey(k) ? "example_" + k : k, v));
        pred.forEach((k, v) -> m.put(ex.containsKey(k) ? "pred_" + k : k, v));
        return m;
    }

    private static List<String> columns(List<Map<String, @Nullable Object>> records) {
        Set<String> cols = new LinkedHashSet<>();
        records.forEach(r -> cols.addAll(r.keySet()));
        return new ArrayList<>(cols);
    }

    static String table(List<EvaluationRow> rows, String metricName, int n) {
        int shown = Math.min(n, rows.size());
        List<Map<String, @Nullable Object>> records = records(rows.subList(0, shown), metricName);
        List<String> cols = columns(records);
        // The metric column goes last, as DSPy's records end with it (the error column, if any, after it).
        List<List<String>> cells = new ArrayList<>();
        List<String> header = new ArrayList<>();
        header.add("");
        header.addAll(cols);
        cells.add(header);
        for (int i = 0; i < records.size(); i++) {
            Map<String, @Nullable Object> rec = records.get(i);
            List<String> line = new ArrayList<>();
            line.add(Integer.toString(rows.get(i).index()));
            for (String c : cols) {
                if (!rec.containsKey(c)) {
                    line.add("");
                } else if (c.equals(metricName)) {
                    line.add(String.format(Locale.ROOT, "\u2714\uFE0F [%.3f]", (Double) rec.get(c)));
                } else {
                    line.add(cell(rec.get(c)));
                }
            }
            cells.add(line);
        }
        int[] widths = new int[header.size()];
        for (List<String> line : cells) {
            for (int c = 0; c < line.size(); c++) {
                widths[c] = Math.max(widths[c], width(line.get(c)));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> line : cells) {
            StringBuilder l = new StringBuilder();
            for (int c = 0; c < line.size(); c++) {
                String s = line.get(c);
                l.append(s).append(" ".repeat(widths[c] - width(s)));
                if (c < line.size() - 1) {
                    l.append("  ");
                }
            }
            sb.append(l.toString().stripTrailing()).append('\n');
        }
        if (rows.size() > shown) {
            sb.append("... ").append(rows.size() - shown).append(" more rows not displayed ...\n");
        }
        return sb.toString();
    }

    /** DSPy's {@code truncate_cell} (25 words) and pandas' console column width (50 characters). */
    private static String cell(@Nullable Object v) {
        String s = v instanceof String str ? str : v == null ? "None" : toJson(v);
        String[] words = s.trim().split("\\s+");
        if (words.length > MAX_WORDS) {
            s = String.join(" ", java.util.Arrays.copyOf(words, MAX_WORDS)) + "...";
        }
        s = s.replaceAll("[\\r\\n\\t]+", " ");
        if (s.codePointCount(0, s.length()) > MAX_WIDTH) {
            s = s.substring(0, s.offsetByCodePoints(0, MAX_WIDTH - 3)) + "...";
        }
        return s;
    }

    /** Display width: code points, not counting the emoji variation selector. */
    private static int width(String s) {
        return (int) s.codePoints().filter(cp -> cp != 0xFE0F).count();
    }

    static String csv(List<EvaluationRow> rows, String metricName) {
        List<Map<String, @Nullable Object>> records = records(rows, metricName);
        List<String> cols = columns(records);
        StringBuilder sb = new StringBuilder();
        appendCsvLine(sb, new ArrayList<>(cols));
        for (Map<String, @Nullable Object> rec : records) {
            List<String> line = new ArrayList<>(cols.size());
            for (String c : cols) {
                Object v = rec.get(c);
                line.add(v == null ? "" : v instanceof String s ? s
                        : v instanceof Number || v instanceof Boolean ? v.toString() : toJson(v));
            }
            appendCsvLine(sb, line);
        }
        return sb.toString();
    }

    private static void appendCsvLine(StringBuilder sb, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            String v = values.get(i);
            if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
                sb.append('"').append(v.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(v);
            }
        }
        sb.append("\r\n");
    }

    static String json(List<EvaluationRow> rows, String metricName) {
        return toJson(records(rows, metricName));
    }

    static String jsonl(List<EvaluationRow> rows, String metricName) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, @Nullable Object> rec : records(rows, metricName)) {
            sb.append(toJson(rec)).append('\n');
        }
        return sb.toString();
    }

    private static String toJson(@Nullable Object v) {
        try {
            return Json.MAPPER.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a value in the evaluation results cannot be written as JSON: "
                    + v.getClass().getName() + " (" + e.getOriginalMessage() + ")", e);
        }
    }
}
