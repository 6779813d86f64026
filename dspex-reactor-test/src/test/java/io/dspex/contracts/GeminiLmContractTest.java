package io.dspex.contracts;

import io.dspex.lm.GeminiLm;
import io.dspex.lm.LanguageModel;
import io.dspex.test.LanguageModelContract;
import io.dspex.test.MockLmServer;
import java.time.Duration;

/** The library's Gemini client against the provider-neutral contract, on a server that speaks the Gemini API. */
class GeminiLmContractTest extends LanguageModelContract {

    @Override
    protected MockLmServer createServer() {
        return MockLmServer.create(MockLmServer.Protocol.GEMINI);
    }

    @Override
    protected LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout) {
        return GeminiLm.builder().baseUrl(server.baseUrl()).apiKey(apiKey).model(MODEL)
                .responseTimeout(responseTimeout).connectTimeout(Duration.ofSeconds(2)).build();
    }
}
