package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.BatchResult;
import io.dspex.lm.LmException;
import io.dspex.predict.RetryPolicy;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic fault plan over inputs {@code q-0 .. q-(n-1)}: input {@code i} falls in the slot
 * {@code i % 100}, and a slot's fault hits the first {@code faulted} attempts of that input (every attempt when
 * {@code faulted} is {@link #ALWAYS}). So the attempts the server must see are exactly computable.
 */
final class MixedFaultPlan {

    static final int ALWAYS = Integer.MAX_VALUE;

    /** Slots {@code [from, to)} of 100 get {@code fault} on their first {@code faulted} attempts. */
    record Entry(int from, int to, Fault fault, int faulted, boolean retryable, Class<? extends Throwable> error) {
    }

    final List<Entry> entries = new ArrayList<>();
    final int maxAttempts;

    MixedFaultPlan(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    MixedFaultPlan add(int from, int to, Fault fault, int faulted, boolean retryable,
                       Class<? extends Throwable> error) {
        entries.add(new Entry(from, to, fault, faulted, retryable, error));
        return this;
    }

    /** Wraps an LM to record, per input, each attempt the program made and how it ended. */
    static final class ClientAttempts {
        final java.util.Map<Integer, java.util.List<String>> log = new java.util.concurrent.ConcurrentHashMap<>();

        io.dspex.lm.LanguageModel wrap(io.dspex.lm.LanguageModel lm) {
            return req -> reactor.core.publisher.Mono.defer(() -> {
                java.util.regex.Matcher m = Rel.ID.matcher(req.messages().get(req.messages().size() - 1).content());
                int id = m.find() ? Integer.parseInt(m.group(1)) : -1;
                java.util.List<String> l = log.computeIfAbsent(id,
                        k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>()));
                return lm.call(req).doOnSuccess(r -> l.add("ok"))
                        .doOnError(e -> l.add(e.getClass().getSimpleName() + ": " + e.getMessage()))
                        .doOnCancel(() -> l.add("cancelled"));
            });
        }

        String describe(int input) {
            return String.valueOf(log.get(input));
        }
    }

    Entry entryOf(int input) {
        int slot = input % 100;
        for (Entry e : entries) {
            if (slot >= e.from() && slot < e.to()) {
                return e;
            }
        }
        return null;
    }

    /** Installs the plan on the server, counting attempts with {@code attempts}. */
    void install(MockLmServer server, Rel.Attempts attempts) {
        // Counts every request (clean ones too); never matches, so the plans below decide.
        server.faultWhen(r -> {
            attempts.attempt(r);
            return false;
        }, Fault.hang());
        for (Entry e : entries) {
            server.faultWhen(r -> {
                int id = Rel.idOf(r);
                return id >= 0 && entryOf(id) == e && attempts.attempt(r) <= e.faulted();
            }, e.fault());
        }
    }

    /** @return the attempts the policy allows input {@code i}: 1 clean, k+1 retried k times, max when exhausted */
    int expectedAttempts(int input) {
        Entry e = entryOf(input);
        if (e == null) {
            return 1;
        }
        if (!e.retryable()) {
            return 1;
        }
        return e.faulted() >= maxAttempts ? maxAttempts : e.faulted() + 1;
    }

    boolean expectSuccess(int input) {
        Entry e = entryOf(input);
        return e == null || (e.retryable() && e.faulted() < maxAttempts);
    }

    long expectedRequests(int n) {
        long total = 0;
        for (int i = 0; i < n; i++) {
            total += expectedAttempts(i);
        }
        return total;
    }

    double faultedFraction() {
        int slots = 0;
        for (Entry e : entries) {
            slots += e.to() - e.from();
        }
        return slots / 100.0;
    }

    /** Checks every result of a batch over {@code n} inputs against the plan. */
    void verify(List<BatchResult> results, int n, Rel.Attempts attempts) {
        verify(results, n, attempts, null);
    }

    /** As above; {@code client} (attempts the program made, with their errors) explains any mismatch. */
    void verify(List<BatchResult> results, int n, Rel.Attempts attempts, ClientAttempts client) {
        assertThat(results).hasSize(n);
        java.util.Map<String, Integer> wrongAttempts = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (attempts.of(i) != expectedAttempts(i)) {
                wrongAttempts.merge(entryOf(i) + " saw " + attempts.of(i) + " expected " + expectedAttempts(i)
                        + (client == null ? "" : "; client side of input " + i + ": " + client.describe(i)), 1,
                        Integer::sum);
            }
        }
        assertThat(wrongAttempts).as("inputs whose attempts differ from the policy's").isEmpty();
        for (int i = 0; i < n; i++) {
            BatchResult r = results.get(i);
            assertThat(r.index()).as("result %d in input order", i).isEqualTo(i);
            assertThat(r.input().get("question")).isEqualTo("q-" + i);
            assertThat(attempts.of(i)).as("attempts of input %d (%s)", i, entryOf(i))
                    .isEqualTo(expectedAttempts(i));
            if (expectSuccess(i)) {
                assertThat(r.error()).as("input %d (%s)", i, entryOf(i)).isNull();
                assertThat(r.prediction().get("answer")).isEqualTo("A-" + i);
            } else {
                Entry e = entryOf(i);
                assertThat(r.error()).as("input %d (%s)", i, e).isInstanceOf(e.error());
                assertThat(((LmException) r.error()).isRetryable()).isEqualTo(e.retryable());
                assertThat(RetryPolicy.attemptsOf(r.error())).isEqualTo(expectedAttempts(i));
            }
        }
    }
}
