package io.dspex.contracts;

import io.dspex.lm.AnthropicLm;
import io.dspex.lm.LanguageModel;
import io.dspex.test.LanguageModelContract;
import io.dspex.test.MockLmServer;
import java.time.Duration;

/**
 * The library's Anthropic client against the provider-neutral contract, on a server that speaks Anthropic's Messages
 * API. Anthropic has no seed; its {@code n} is sent as parallel requests.
 */
class AnthropicLmContractTest extends LanguageModelContract {

    @Override
    protected MockLmServer createServer() {
        return MockLmServer.create(MockLmServer.Protocol.ANTHROPIC);
    }

    @Override
    protected LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout) {
        return AnthropicLm.builder().baseUrl(server.baseUrl()).apiKey(apiKey).model(MODEL)
                .responseTimeout(responseTimeout).connectTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    protected boolean supportsSeed() {
        return false;
    }

    @Override
    protected boolean choicesAreSeparateRequests() {
        return true;
    }
}
