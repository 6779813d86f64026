package io.dspex.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.observe.Calls.LmKeys;
import org.junit.jupiter.api.Test;

/** The GenAI keys a model's id gives: provider (OpenTelemetry's names), model and server. */
class LmKeysTest {

    @Test
    void theLibrarysClientsNameProviderModelAndServer() {
        LmKeys openai = LmKeys.parse("openai-compatible:https://api.openai.com/v1|gpt-4o-mini|{temperature=0.0}");
        assertThat(openai.provider).isEqualTo("openai");
        assertThat(openai.model).isEqualTo("gpt-4o-mini");
        assertThat(openai.contextualName).isEqualTo("chat gpt-4o-mini");
        assertThat(openai.serverAddress.getValue()).isEqualTo("api.openai.com");
        assertThat(openai.serverPort.getValue()).isEqualTo("443");

        LmKeys local = LmKeys.parse("openai-compatible:http://127.0.0.1:11434/v1|llama3.2");
        assertThat(local.serverAddress.getValue()).isEqualTo("127.0.0.1");
        assertThat(local.serverPort.getValue()).isEqualTo("11434");

        assertThat(LmKeys.parse("anthropic:https://api.anthropic.com|claude-sonnet-4").provider).isEqualTo("anthropic");
        LmKeys gemini = LmKeys.parse("gemini:https://generativelanguage.googleapis.com/v1beta|gemini-2.5-flash");
        assertThat(gemini.provider).isEqualTo("gcp.gemini");
        assertThat(gemini.model).isEqualTo("gemini-2.5-flash");
    }

    @Test
    void otherModelsGiveTheirSchemeOrOther() {
        LmKeys ollama = LmKeys.parse("ollama:llama3|x");
        assertThat(ollama.provider).isEqualTo("ollama");
        assertThat(ollama.model).isNull();
        assertThat(ollama.serverAddress).isNull();
        assertThat(LmKeys.parse("io.dspex.MyLm$$Lambda$42/0x0000000801").provider).isEqualTo("_OTHER");
        assertThat(LmKeys.parse("Weird Scheme:x").provider).isEqualTo("_OTHER");
        assertThat(LmKeys.parse("").provider).isEqualTo("_OTHER");
        assertThat(LmKeys.parse("openai-compatible:not a uri|m").serverAddress).isNull();
    }
}
