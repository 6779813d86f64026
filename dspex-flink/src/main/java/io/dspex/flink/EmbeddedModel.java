package io.dspex.flink;

import io.dspex.samples.Provider;

/**
 * BatchJob's embedded default when no {@code --base-url} is given: the samples' simulated model served over HTTP by
 * the test kit's {@code MockLmServer} on 127.0.0.1, in the JVM that submits the job (on the embedded MiniCluster,
 * the same JVM as the tasks). Its classes come from the optional dependencies {@code dspex-samples} and
 * {@code dspex-reactor-test}; this class is loaded only when the embedded model is asked for.
 */
final class EmbeddedModel implements AutoCloseable {

    private final Provider provider;
    private final String baseUrl;

    private EmbeddedModel(Provider provider, String baseUrl) {
        this.provider = provider;
        this.baseUrl = baseUrl;
    }

    /**
     * @return the started model
     * @throws NoClassDefFoundError when the samples or the test kit are not on the class path (the caller says what
     *                              to do)
     */
    static EmbeddedModel start() {
        Provider p = Provider.simulated();
        return new EmbeddedModel(p, p.server().orElseThrow().baseUrl());
    }

    String baseUrl() {
        return baseUrl;
    }

    String model() {
        return Provider.SIMULATED_MODEL;
    }

    String banner() {
        return "No --base-url given: using " + provider.description() + ". It answers arithmetic questions "
                + "deterministically; pass --base-url URL --model NAME to use a real model.";
    }

    @Override
    public void close() {
        provider.close();
    }
}
