package io.dspex.flink.tests;

import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic fault plan over inputs {@code q-0 .. q-(n-1)}: input {@code i} falls in the slot {@code i % 100},
 * and a slot's fault hits the first {@code faulted} attempts of that input, so the requests the server must see
 * follow from the retry policy exactly.
 */
final class FaultPlan {

    static final int ALWAYS = Integer.MAX_VALUE;

    record Entry(int from, int to, Fault fault, int faulted, boolean retryable) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final int maxAttempts;
    private final Map<Integer, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final Map<Long, Integer> attemptOfRequest = new ConcurrentHashMap<>();

    FaultPlan(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    FaultPlan add(int from, int to, Fault fault, int faulted, boolean retryable) {
        entries.add(new Entry(from, to, fault, faulted, retryable));
        return this;
    }

    /** The attempt number of a request for its input; idempotent per request. */
    int attempt(ParsedRequest r) {
        return attemptOfRequest.computeIfAbsent(r.number(),
                n -> attempts.computeIfAbsent(Fixtures.idOf(r), i -> new AtomicInteger()).incrementAndGet());
    }

    int attemptsOf(int input) {
        AtomicInteger a = attempts.get(input);
        return a == null ? 0 : a.get();
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

    void install(MockLmServer server) {
        for (Entry e : entries) {
            server.faultWhen(r -> {
                int id = Fixtures.idOf(r);
                return id >= 0 && entryOf(id) == e && attempt(r) <= e.faulted();
            }, e.fault());
        }
        // Counts the clean attempts too (after the plans, so that it never decides a fault itself).
        server.faultWhen(r -> {
            attempt(r);
            return false;
        }, Fault.hang());
    }

    int expectedAttempts(int input) {
        Entry e = entryOf(input);
        if (e == null || !e.retryable()) {
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
}
