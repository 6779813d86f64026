package io.dspex.evaluate;

import io.dspex.Prediction;
import io.dspex.lm.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link Evaluate#run}: the overall score and one {@link EvaluationRow} per dev-set example, in
 * dev-set order (DSPy's {@code EvaluationResult} with {@code score} and {@code results}).
 *
 * <pre>{@code
 * EvaluationResult r = evaluate.run(program).block();
 * System.out.println(r.score());        // 67.3
 * System.out.println(r.table(5));       // the first 5 rows, as DSPy's display_table shows them
 * r.writeCsv(Path.of("eval.csv"));      // blocking file I/O
 * }</pre>
 *
 * <p>The exports follow DSPy's {@code save_as_csv}/{@code save_as_json}: one record per example with the example's
 * fields, then the prediction's (a name in both becomes {@code example_<name>} and {@code pred_<name>}), then the
 * score under the metric's name. When any example failed, an {@code error} column ({@code evaluation_error} if
 * {@code error} is taken) holds {@code "ExceptionType: message"} for the failed ones.
 */
public final class EvaluationResult {

    private final List<EvaluationRow> rows;
    private final String metricName;
    private final @Nullable Price price;
    private final Map<String, Price> prices;
    private final double scoreSum;
    private final int errorCount;
    private final Usage totalUsage;
    private final Map<String, Usage> usageByModel;
    /** Usage of predictions that name no model (built by hand, not through a module's forward). */
    private final Usage unattributedUsage;

    EvaluationResult(List<EvaluationRow> rows, String metricName, @Nullable Price price) {
        this(rows, metricName, price, Map.of());
    }

    EvaluationResult(List<EvaluationRow> rows, String metricName, @Nullable Price price, Map<String, Price> prices) {
        this.rows = List.copyOf(rows);
        this.metricName = metricName;
        this.price = price;
        this.prices = prices;
        double sum = 0;
        int errors = 0;
        Usage usage = Usage.ZERO;
        Usage unattributed = Usage.ZERO;
        Map<String, Usage> byModel = new LinkedHashMap<>();
        for (EvaluationRow r : this.rows) {
            sum += r.score();
            errors += r.failed() ? 1 : 0;
            usage = usage.plus(r.usage());
            Map<String, Usage> perModel = r.prediction().map(Prediction::usageByModel).orElse(Map.of());
            if (perModel.isEmpty()) {
                unattributed = unattributed.plus(r.usage());
            } else {
                perModel.forEach((model, u) -> byModel.merge(model, u, Usage::plus));
            }
        }
        this.scoreSum = sum;
        this.errorCount = errors;
        this.totalUsage = usage;
        this.usageByModel = Collections.unmodifiableMap(byModel);
        this.unattributedUsage = unattributed;
    }

    /**
     * @return the mean score in percent, rounded to 2 decimals as Python's {@code round(100 * sum / n, 2)} rounds
     *         (half to even on the exact binary value)
     */
    public double score() {
        double pct = 100 * scoreSum / rows.size();
        return new BigDecimal(pct).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** @return the sum of the scores (DSPy's {@code ncorrect}) */
    public double scoreSum() {
        return scoreSum;
    }

    /** @return one row per dev-set example, in dev-set order */
    public List<EvaluationRow> rows() {
        return rows;
    }

    /** @return how many examples failed */
    public int errorCount() {
        return errorCount;
    }

    /**
     * @return the token usage of all predictions together: every LM call each program run made, nested modules and
     *         retries included (cached answers count zero); a failed example's tokens are not known and not counted
     */
    public Usage totalUsage() {
        return totalUsage;
    }

    /**
     * @return {@link #totalUsage()} per model name (DSPy's {@code get_lm_usage()} summed over the dev set), in the
     *         order the models were first seen; usage of predictions that name no model is left out (unmodifiable)
     */
    public Map<String, Usage> usageByModel() {
        return usageByModel;
    }

    /**
     * The cost of {@link #totalUsage()}: each model's usage at its price ({@link Evaluate.Builder#price(String,
     * Price)}), else at the general one ({@link Evaluate.Builder#price(Price)}), which also prices usage that names
     * no model.
     *
     * @return the cost; empty when no price was configured, or when some tokens have no price (a model without one
     *         and no general price): a partial sum would undercount
     */
    public OptionalDouble cost() {
        if (price == null && prices.isEmpty()) {
            return OptionalDouble.empty();
        }
        double total = 0;
        for (Map.Entry<String, Usage> e : usageByModel.entrySet()) {
            Price p = prices.getOrDefault(e.getKey(), price);
            if (p == null) {
                if (e.getValue().totalTokens() > 0 || e.getValue().promptTokens() > 0
                        || e.getValue().completionTokens() > 0) {
                    return OptionalDouble.empty();
                }
                continue;
            }
            total += p.cost(e.getValue());
        }
        if (!unattributedUsage.equals(Usage.ZERO)) {
            if (price == null) {
                return OptionalDouble.empty();
            }
            total += price.cost(unattributedUsage);
        }
        return OptionalDouble.of(total);
    }

    /** @return the metric's name, the header of the score column */
    public String metricName() {
        return metricName;
    }

    /**
     * A text table of the first {@code n} rows as DSPy's {@code display_table} shows them: the example's fields,
     * the prediction's fields, and the metric column as {@code ✔️ [0.500]}; cells cut to 25 words and 50
     * characters; a closing line says how many rows were left out.
     *
     * @param n how many rows to show (at most all)
     * @return the table, lines separated by {@code \n}
     * @throws IllegalArgumentException when {@code n} is negative
     */
    public String table(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("table row count must not be negative, got " + n);
        }
        return ResultFormat.table(rows, metricName, n);
    }

    /** @return the records as CSV (RFC 4180, a header row, {@code \r\n} line ends) */
    public String toCsv() {
        return ResultFormat.csv(rows, metricName);
    }

    /** @return the records as a JSON array */
    public String toJson() {
        return ResultFormat.json(rows, metricName);
    }

    /** @return the records as JSON Lines, one object per line */
    public String toJsonl() {
        return ResultFormat.jsonl(rows, metricName);
    }

    /**
     * Writes {@link #toCsv()} to a file (UTF-8, replacing it). Blocking I/O: call it off Reactor's non-blocking
     * threads, e.g. {@code Mono.fromRunnable(() -> r.writeCsv(p)).subscribeOn(Schedulers.boundedElastic())}.
     *
     * @param file the file
     * @throws UncheckedIOException when writing fails
     */
    public void writeCsv(Path file) {
        write(file, toCsv());
    }

    /**
     * Writes {@link #toJson()} to a file (UTF-8, replacing it). Blocking I/O, like {@link #writeCsv(Path)}.
     *
     * @param file the file
     * @throws UncheckedIOException when writing fails
     */
    public void writeJson(Path file) {
        write(file, toJson());
    }

    /**
     * Writes {@link #toJsonl()} to a file (UTF-8, replacing it). Blocking I/O, like {@link #writeCsv(Path)}.
     *
     * @param file the file
     * @throws UncheckedIOException when writing fails
     */
    public void writeJsonl(Path file) {
        write(file, toJsonl());
    }

    private static void write(Path file, String content) {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write evaluation results to " + file, e);
        }
    }

    @Override
    public String toString() {
        return "EvaluationResult(score=" + score() + ", results=<list of " + rows.size() + " results>, errors="
                + errorCount + ")";
    }
}
