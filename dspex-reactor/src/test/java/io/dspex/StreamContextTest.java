package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Usage;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;




/** {@link Program#stream} runs with the subscriber's Context: settings put there reach the predictors. */
class StreamContextTest {

    @Test
    void settingsInTheSubscribersContextReachAStreamedRun() {
        LanguageModel lm = request -> Mono.just(LmResponse.of(
                List.of("[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"), Usage.ZERO));

        List<StreamEvent> events = Predict.of("question -> answer").stream(Map.of("question", "capital?"))
                .contextWrite(Settings.empty().withLm(lm).asContext())
                .collectList().block(Duration.ofSeconds(5));

        assertThat(events).last().isInstanceOfSatisfying(StreamEvent.Done.class,
                d -> assertThat(d.prediction().get("answer")).isEqualTo("Paris"));
    }
}
