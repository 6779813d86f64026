package io.dspex.flink;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.RateLimit;
import java.io.Serializable;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A serialisable description of an OpenAI-compatible language model, from which every Flink subtask builds its own
 * {@link OpenAiCompatibleLm} in {@code open()}. It holds the <em>name</em> of the environment variable with the API
 * key, never the key: the key is read on the task manager when the client is built, so it is not in the job graph,
 * in checkpoints or in Flink's web UI.
 *
 * <pre>{@code
 * LmConfig lm = LmConfig.of("https://api.openai.com/v1", "gpt-4o-mini").withApiKeyVariable("OPENAI_API_KEY");
 * }</pre>
 *
 * @param baseUrl         the provider's base URL, as it documents it (e.g. {@code http://localhost:11434/v1})
 * @param model           the model name sent with every request
 * @param apiKeyVariable  the environment variable holding the API key, or null for a server that needs none
 * @param maxConnections  the client's connection-pool size; 0 sizes it to the function's concurrency
 * <p><b>Rate limits</b> ({@link #withRequestsPerMinute}, {@link #withTokensPerMinute}) are the provider's limits for
 * the <em>whole job</em>. Each subtask limits its own client ({@link io.dspex.lm.RateLimit}) to its share: the limit
 * divided by the number of parallel subtasks, rounded down, so that the subtasks together never exceed it. The shares
 * are static (an idle subtask does not lend its share) and are recomputed when the job restarts or is rescaled; a
 * 429's {@code Retry-After} pauses only the subtask that received it. A limiter shared by all subtasks is out of
 * scope.
 *
 * @param baseUrl           the provider's base URL, as it documents it (e.g. {@code http://localhost:11434/v1})
 * @param model             the model name sent with every request
 * @param apiKeyVariable    the environment variable holding the API key, or null for a server that needs none
 * @param maxConnections    the client's connection-pool size; 0 sizes it to the function's concurrency
 * @param responseTimeout   the longest wait for one response (each attempt of the program's retry policy)
 * @param requestsPerMinute the job's request limit for this model, shared by its subtasks; 0 for none
 * @param tokensPerMinute   the job's token limit (prompt estimate plus max tokens, as {@code RateLimit} counts);
 *                          0 for none
 */
public record LmConfig(String baseUrl, String model, @Nullable String apiKeyVariable, int maxConnections,
                       Duration responseTimeout, int requestsPerMinute, long tokensPerMinute) implements Serializable {

    /** The response timeout of {@link #of(String, String)}. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);

    /**
     * @throws IllegalArgumentException naming the field when the URL or model is blank, the variable name is
     *                                  blank, the pool size or a rate limit is negative or the timeout is not
     *                                  positive
     */
    public LmConfig {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("LmConfig baseUrl must not be blank");
        }
        if (!(baseUrl.startsWith("http://") || baseUrl.startsWith("https://"))) {
            throw new IllegalArgumentException("LmConfig baseUrl must be an http(s) URL, got '" + baseUrl + "'");
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("LmConfig model must not be blank");
        }
        if (apiKeyVariable != null && apiKeyVariable.isBlank()) {
            throw new IllegalArgumentException("LmConfig apiKeyVariable must be null or a variable name, got a blank");
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("LmConfig maxConnections must be 0 (the function's concurrency) or "
                    + "more, got " + maxConnections);
        }
        if (responseTimeout == null || responseTimeout.isNegative() || responseTimeout.isZero()) {
            throw new IllegalArgumentException("LmConfig responseTimeout must be positive, got " + responseTimeout);
        }
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("LmConfig rate limits must be 0 (none) or more, got requestsPerMinute "
                    + requestsPerMinute + ", tokensPerMinute " + tokensPerMinute);
        }
    }

    /**
     * @param baseUrl the provider's base URL
     * @param model   the model name
     * @return a config with no API key, a pool sized to the function's concurrency, a 60 s response timeout and no
     *         rate limit
     */
    public static LmConfig of(String baseUrl, String model) {
        return new LmConfig(baseUrl, model, null, 0, DEFAULT_RESPONSE_TIMEOUT, 0, 0);
    }

    /**
     * @param variable the environment variable that holds the key on every task manager (null: no key)
     * @return a copy that reads the key from it
     */
    public LmConfig withApiKeyVariable(@Nullable String variable) {
        return new LmConfig(baseUrl, model, variable, maxConnections, responseTimeout, requestsPerMinute,
                tokensPerMinute);
    }

    /**
     * @param maxConnections the pool size of each subtask's client (0: the function's concurrency)
     * @return a copy with it
     */
    public LmConfig withMaxConnections(int maxConnections) {
        return new LmConfig(baseUrl, model, apiKeyVariable, maxConnections, responseTimeout, requestsPerMinute,
                tokensPerMinute);
    }

    /**
     * @param timeout the longest wait for one response
     * @return a copy with it
     */
    public LmConfig withResponseTimeout(Duration timeout) {
        return new LmConfig(baseUrl, model, apiKeyVariable, maxConnections, timeout, requestsPerMinute,
                tokensPerMinute);
    }

    /**
     * @param requests the job's request limit for this model, divided among its subtasks (0: none)
     * @return a copy with it
     */
    public LmConfig withRequestsPerMinute(int requests) {
        return new LmConfig(baseUrl, model, apiKeyVariable, maxConnections, responseTimeout, requests,
                tokensPerMinute);
    }

    /**
     * @param tokens the job's token limit for this model, divided among its subtasks (0: none)
     * @return a copy with it
     */
    public LmConfig withTokensPerMinute(long tokens) {
        return new LmConfig(baseUrl, model, apiKeyVariable, maxConnections, responseTimeout, requestsPerMinute,
                tokens);
    }

    /**
     * One subtask's model: the client itself without rate limits, else the client behind a {@link RateLimit} of
     * this subtask's share of each limit (the limit divided by {@code subtasks}, rounded down).
     *
     * @param client   the subtask's client
     * @param subtasks the number of parallel subtasks of the function
     * @return the model the subtask's program calls
     * @throws IllegalStateException naming the limit when it is smaller than the number of subtasks (a share of
     *                               zero would stop every call)
     */
    LanguageModel limited(LanguageModel client, int subtasks) {
        if (requestsPerMinute == 0 && tokensPerMinute == 0) {
            return client;
        }
        int n = Math.max(1, subtasks);
        RateLimit.Builder b = RateLimit.of(client);
        if (requestsPerMinute > 0) {
            b.requestsPerMinute((int) share("requestsPerMinute", requestsPerMinute, n));
        }
        if (tokensPerMinute > 0) {
            b.tokensPerMinute(share("tokensPerMinute", tokensPerMinute, n));
        }
        return b.build();
    }

    private static long share(String name, long limit, int subtasks) {
        long share = limit / subtasks;
        if (share < 1) {
            throw new IllegalStateException("LmConfig " + name + " " + limit + " cannot be shared by " + subtasks
                    + " parallel subtasks (each needs at least 1 per minute): raise it or lower the parallelism");
        }
        return share;
    }

    /**
     * Builds the client; called in each subtask's {@code open()}.
     *
     * @param concurrency the function's concurrency, the pool size when {@link #maxConnections()} is 0
     * @param environment how to read an environment variable ({@code System::getenv} on a task manager)
     * @return the client
     * @throws IllegalStateException naming the variable when it is named but not set
     */
    OpenAiCompatibleLm build(int concurrency, Function<String, @Nullable String> environment) {
        OpenAiCompatibleLm.Builder b = OpenAiCompatibleLm.builder().baseUrl(baseUrl).model(model)
                .maxConnections(maxConnections > 0 ? maxConnections : Math.max(1, concurrency))
                .responseTimeout(responseTimeout);
        if (apiKeyVariable != null) {
            String key = environment.apply(apiKeyVariable);
            if (key == null || key.isBlank()) {
                throw new IllegalStateException("the environment variable " + apiKeyVariable + " (the API key of "
                        + baseUrl + ") is not set on this task manager");
            }
            b.apiKey(key.strip());
        }
        return b.build();
    }

    /** @return the URL, model, the key's variable name (never a key) and the limits */
    @Override
    public String toString() {
        return "LmConfig[" + model + " at " + baseUrl + (apiKeyVariable == null ? ", no API key"
                : ", API key from $" + apiKeyVariable) + (maxConnections > 0 ? ", " + maxConnections + " connections"
                : "") + ", response timeout " + responseTimeout.toMillis() + " ms"
                + (requestsPerMinute > 0 ? ", " + requestsPerMinute + " requests/min" : "")
                + (tokensPerMinute > 0 ? ", " + tokensPerMinute + " tokens/min" : "")
                + (requestsPerMinute > 0 || tokensPerMinute > 0 ? " for the job" : "") + "]";
    }
}
