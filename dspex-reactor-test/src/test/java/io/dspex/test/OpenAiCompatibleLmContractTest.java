package io.dspex.test;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.OpenAiCompatibleLm;
import java.time.Duration;

class OpenAiCompatibleLmContractTest extends LanguageModelContract {

    @Override
    protected LanguageModel createLm(String baseUrl, String apiKey, Duration responseTimeout) {
        return OpenAiCompatibleLm.builder().baseUrl(baseUrl).apiKey(apiKey).model(MODEL)
                .responseTimeout(responseTimeout).connectTimeout(Duration.ofSeconds(2)).build();
    }
}
