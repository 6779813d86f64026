package io.dspex.contracts;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.test.MockLmServer;
import io.dspex.test.OpenAiCompatibleContract;
import java.time.Duration;

/** The library's OpenAI-compatible client against the OpenAI contract, with every capability on. */
class OpenAiCompatibleLmContractTest extends OpenAiCompatibleContract {

    @Override
    protected LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout) {
        return OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).apiKey(apiKey).model(MODEL)
                .responseTimeout(responseTimeout).connectTimeout(Duration.ofSeconds(2)).build();
    }
}
