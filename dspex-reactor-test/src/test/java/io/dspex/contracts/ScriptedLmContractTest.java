package io.dspex.contracts;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.LmResponse;
import io.dspex.test.LanguageModelContract;
import io.dspex.test.MockLmServer;
import io.dspex.test.ScriptedLm;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The test kit's in-memory model against the provider-neutral contract, so tests that use it in place of a real
 * model rely on the same behaviour: laziness, one request per subscription, usage, several choices, stream order,
 * failures that stay with their call. It is no HTTP client, so the cases about the wire, connections, HTTP failures,
 * timeouts and keys are off; the suite scripts it directly, with the same words as the server.
 */
class ScriptedLmContractTest extends LanguageModelContract {

    private ScriptedLm scripted;

    @Override
    protected boolean usesServer() {
        return false;
    }

    @Override
    protected LanguageModel createLm(MockLmServer server, String apiKey, Duration responseTimeout) {
        scripted = ScriptedLm.create(MODEL);
        return scripted;
    }

    @Override
    protected void scriptReply(String text) {
        scripted.reply(text);
    }

    @Override
    protected void scriptReplies(String... texts) {
        scripted.replies(texts);
    }

    @Override
    protected void scriptResponse(LmResponse response) {
        scripted.reply(response);
    }

    @Override
    protected void scriptEcho() {
        scripted.reply(ScriptedLm::lastUserMessage);
    }

    @Override
    protected void scriptFailureWhen(Predicate<String> lastUserMessage) {
        scripted.faultWhen(r -> lastUserMessage.test(ScriptedLm.lastUserMessage(r)),
                () -> new LmException.InternalServer("boom"));
    }

    @Override
    protected long requestCount() {
        return scripted.requestCount();
    }
}
