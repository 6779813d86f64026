package check;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmCache;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import io.dspex.observe.Callback;
import io.dspex.observe.LmMeterObservationHandler;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * What needs reflection across modules: Jackson on the library's value types (its packages are open to Jackson),
 * the disk cache reading its JSON back, the library building and rendering a user's record, a program's state
 * saved and loaded. Prints one line per check; ModulePathTest compares them.
 */
public final class ModuleCheck {

    /** A typed output field: the library builds it by reflection, so this package is open to it. */
    public record City(String name, int population) {
    }

    private ModuleCheck() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();

        Example example = Example.of(Map.of("question", "2+2?", "answer", "4")).withInputs("question");
        System.out.println("example: " + mapper.readValue(mapper.writeValueAsString(example), Example.class)
                .equals(example));

        Prediction prediction = Prediction.fromCompletions(List.of(Map.of("answer", "4")), Usage.of(3, 1));
        Prediction back = mapper.readValue(mapper.writeValueAsString(prediction), Prediction.class);
        System.out.println("prediction: " + back.get("answer") + " " + back.usage().totalTokens());

        LmResponse response = mapper.readValue(mapper.writeValueAsString(LmResponse.of("hi")), LmResponse.class);
        System.out.println("response: " + response.text());

        Path cacheDir = Files.createTempDirectory("dspex-module-check");
        LmRequest request = LmRequest.of(List.of(Message.user("x")));
        System.out.println("cache write: " + LmCache.builder().directory(cacheDir).build()
                .wrap(answering(Mono.just(LmResponse.of("cached")))).call(request).block().text());
        System.out.println("cache read: " + LmCache.builder().directory(cacheDir).build()
                .wrap(answering(Mono.error(new IllegalStateException("not cached")))).call(request).block().text());

        Signature signature = Signature.builder().input("question", "str").output("city", City.class).build();
        ChatAdapter chat = new ChatAdapter();
        Object city = chat.parse(signature, "[[ ## city ## ]]\n{\"name\": \"Oslo\", \"population\": 709000}\n\n"
                + "[[ ## completed ## ]]").get("city");
        System.out.println("record: " + city);
        System.out.println("rendered: " + chat.format(signature, List.of(Example.of(Map.of("question", "q",
                "city", new City("Bern", 134000))).withInputs("question")), Map.of("question", "q")).size());

        Path state = cacheDir.resolve("program.json");
        Predict.of("question -> answer").withDemos(List.of(example)).save(state);
        System.out.println("state: " + Predict.of("question -> answer").load(state).demos().size());

        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        ConcurrentSkipListSet<String> names = new ConcurrentSkipListSet<>();
        observations.observationConfig().observationHandler(new LmMeterObservationHandler(meters))
                .observationHandler(new ObservationHandler<>() {
                    @Override
                    public void onStop(Observation.Context context) {
                        names.add(context.getName());
                    }

                    @Override
                    public boolean supportsContext(Observation.Context context) {
                        return true;
                    }
                });
        AtomicInteger events = new AtomicInteger();
        Callback counting = new Callback() {
            @Override
            public void onLmEnd(String callId, LmResponse response, Throwable error) {
                events.incrementAndGet();
            }
        };
        Predict.of("question -> answer").withLm(answering(Mono.just(LmResponse.of(List.of(
                        "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]"), Usage.of(9, 2)))))
                .forward(Map.of("question", "2+2?"))
                .contextWrite(Settings.empty().withObservationRegistry(observations).withCallbacks(List.of(counting))
                        .asContext())
                .block();
        System.out.println("observed: " + names + " " + events.get() + " "
                + meters.get(LmMeterObservationHandler.TOKEN_USAGE).tag("gen_ai.token.type", "input").summary()
                .totalAmount());
    }

    private static LanguageModel answering(Mono<LmResponse> answer) {
        return new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return answer;
            }

            @Override
            public String id() {
                return "module-check";
            }
        };
    }
}
