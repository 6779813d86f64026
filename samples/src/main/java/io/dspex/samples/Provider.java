package io.dspex.samples;

import io.dspex.lm.AnthropicLm;
import io.dspex.lm.GeminiLm;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.test.MockLmServer;
import java.util.Map;
import java.util.Optional;
import reactor.core.Disposable;

/**
 * Which language model the samples use, chosen from the environment:
 *
 * <ul>
 *   <li>{@code DSPEX_BASE_URL} set (it wins over every key): any OpenAI-compatible server — vLLM, Ollama
 *       ({@code http://localhost:11434/v1}), llama.cpp's server, OpenRouter, LM Studio — with {@code DSPEX_MODEL} and
 *       an optional {@code DSPEX_API_KEY};</li>
 *   <li>else {@code OPENAI_API_KEY} set: OpenAI at {@code https://api.openai.com/v1}, model {@code DSPEX_MODEL} or
 *       {@value #DEFAULT_OPENAI_MODEL};</li>
 *   <li>else {@code ANTHROPIC_API_KEY} set: Anthropic's Messages API ({@link AnthropicLm}), model {@code DSPEX_MODEL}
 *       or {@value #DEFAULT_ANTHROPIC_MODEL};</li>
 *   <li>else {@code GEMINI_API_KEY} set: the Gemini API ({@link GeminiLm}), model {@code DSPEX_MODEL} or
 *       {@value #DEFAULT_GEMINI_MODEL};</li>
 *   <li>none of them: the embedded default, a {@link MockLmServer} started on 127.0.0.1 answering with the
 *       {@link SimulatedModel}.</li>
 * </ul>
 *
 * <p>The key is never printed: {@link #description()} and {@link #toString()} name the URL and model only.
 *
 * <pre>{@code
 * try (Provider provider = Provider.fromEnvironment()) {
 *     System.out.println(provider.banner());
 *     Predict qa = Predict.of("question -> answer").withLm(provider.lm());
 * }
 * }</pre>
 */
public final class Provider implements AutoCloseable {

    /** The model used with {@code OPENAI_API_KEY} when {@code DSPEX_MODEL} is not set. */
    public static final String DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
    /** The OpenAI base URL. */
    public static final String OPENAI_BASE_URL = "https://api.openai.com/v1";
    /** The model used with {@code ANTHROPIC_API_KEY} when {@code DSPEX_MODEL} is not set. */
    public static final String DEFAULT_ANTHROPIC_MODEL = "claude-haiku-4-5";
    /** The model used with {@code GEMINI_API_KEY} when {@code DSPEX_MODEL} is not set. */
    public static final String DEFAULT_GEMINI_MODEL = "gemini-2.5-flash";
    /** The model name sent to the embedded server. */
    public static final String SIMULATED_MODEL = "dspex-simulated";

    private final LanguageModel lm;
    private final Disposable client;
    private final MockLmServer server;
    private final String description;

    private <T extends LanguageModel & Disposable> Provider(T lm, MockLmServer server, String description) {
        this.lm = lm;
        this.client = lm;
        this.server = server;
        this.description = description;
    }

    /** @return the provider the process environment selects */
    public static Provider fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * @param env environment variables ({@code DSPEX_BASE_URL}, {@code DSPEX_API_KEY}, {@code DSPEX_MODEL},
     *            {@code OPENAI_API_KEY}, {@code ANTHROPIC_API_KEY}, {@code GEMINI_API_KEY}); blank values count as
     *            unset
     * @return the provider they select
     * @throws IllegalArgumentException when {@code DSPEX_BASE_URL} is set without {@code DSPEX_MODEL}, or is not an
     *                                  http(s) URL
     */
    public static Provider from(Map<String, String> env) {
        String baseUrl = value(env, "DSPEX_BASE_URL");
        String model = value(env, "DSPEX_MODEL");
        if (baseUrl != null) {
            if (model == null) {
                throw new IllegalArgumentException("DSPEX_BASE_URL is set (" + baseUrl + ") but DSPEX_MODEL is not: "
                        + "name the model the server serves, e.g. DSPEX_MODEL=llama3.2");
            }
            OpenAiCompatibleLm.Builder b = OpenAiCompatibleLm.builder().baseUrl(baseUrl).model(model);
            String key = value(env, "DSPEX_API_KEY");
            if (key != null) {
                b.apiKey(key);
            }
            return new Provider(b.build(), null, "model " + model + " at " + baseUrl
                    + (key == null ? " (no API key)" : " (API key from DSPEX_API_KEY)"));
        }
        String openAiKey = value(env, "OPENAI_API_KEY");
        if (openAiKey != null) {
            String m = model == null ? DEFAULT_OPENAI_MODEL : model;
            OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(OPENAI_BASE_URL).apiKey(openAiKey).model(m)
                    .build();
            return new Provider(lm, null, "OpenAI model " + m + " at " + OPENAI_BASE_URL
                    + " (API key from OPENAI_API_KEY)");
        }
        String anthropicKey = value(env, "ANTHROPIC_API_KEY");
        if (anthropicKey != null) {
            String m = model == null ? DEFAULT_ANTHROPIC_MODEL : model;
            AnthropicLm lm = AnthropicLm.builder().apiKey(anthropicKey).model(m).build();
            return new Provider(lm, null, "Anthropic model " + m + " at " + lm.baseUrl()
                    + " (API key from ANTHROPIC_API_KEY)");
        }
        String geminiKey = value(env, "GEMINI_API_KEY");
        if (geminiKey != null) {
            String m = model == null ? DEFAULT_GEMINI_MODEL : model;
            GeminiLm lm = GeminiLm.builder().apiKey(geminiKey).model(m).build();
            return new Provider(lm, null, "Gemini model " + m + " at " + lm.baseUrl()
                    + " (API key from GEMINI_API_KEY)");
        }
        return simulated();
    }

    /**
     * Starts the embedded default: a {@link MockLmServer} on 127.0.0.1 answering with the {@link SimulatedModel}.
     *
     * @return the provider; close it to stop the server
     */
    public static Provider simulated() {
        return simulated(MockLmServer.create());
    }

    /**
     * Like {@link #simulated()} on a server configured by the caller (e.g. with latency, for tests).
     *
     * @param server a server, not yet started; its reply rule is set to the {@link SimulatedModel}
     * @return the provider; close it to stop the server
     */
    public static Provider simulated(MockLmServer server) {
        server.reply(new SimulatedModel()).recordRequests(false).start();
        OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model(SIMULATED_MODEL).build();
        return new Provider(lm, server, "a SIMULATED model (io.dspex.samples.SimulatedModel) served over HTTP by "
                + "the test kit's MockLmServer at " + server.baseUrl());
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** @return the language model to use */
    public LanguageModel lm() {
        return lm;
    }

    /** @return whether this is the embedded simulated model */
    public boolean isSimulated() {
        return server != null;
    }

    /** @return the embedded server, when simulated */
    public Optional<MockLmServer> server() {
        return Optional.ofNullable(server);
    }

    /** @return which model at which URL; never the key */
    public String description() {
        return description;
    }

    /** @return the line samples print first, saying which model answers */
    public String banner() {
        if (isSimulated()) {
            return "No API key (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY) or DSPEX_BASE_URL set: using "
                    + description + ". It answers arithmetic questions deterministically; set one of them to use a "
                    + "real model.";
        }
        return "Using " + description + ".";
    }

    /** Releases the client's connections and stops the embedded server, if any. */
    @Override
    public void close() {
        try {
            client.dispose();
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Provider[" + description + "]";
    }
}
