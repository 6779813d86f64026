package io.dspex.observe;

import io.dspex.lm.LmResponse;
import io.dspex.lm.Usage;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.util.ArrayList;
import java.util.List;

/**
 * Records OpenTelemetry's GenAI client meters from LM call observations: {@value #OPERATION_DURATION} (a timer of
 * each call, retries included, tagged with the observation's low-cardinality keys: {@code gen_ai.operation.name},
 * {@code gen_ai.provider.name}, {@code gen_ai.request.model}, {@code gen_ai.response.model}, and {@code error.type}
 * when the call failed or was cancelled) and {@value #TOKEN_USAGE} (a distribution summary of the tokens the
 * provider reported, tagged the same and {@code gen_ai.token.type} = {@code input} or {@code output}; a call that
 * reported no usage, such as a cache hit, records none).
 *
 * <pre>{@code
 * MeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * ObservationRegistry observations = ObservationRegistry.create();
 * observations.observationConfig().observationHandler(new LmMeterObservationHandler(meters));
 * Settings.configure(Settings.empty().withLm(lm).withObservationRegistry(observations));
 * }</pre>
 *
 * <p>Plain meters, without histogram buckets; add them with a {@code MeterFilter} when your backend wants them
 * (OpenTelemetry suggests explicit boundaries for both). Needs micrometer-core, an optional dependency of this
 * library: an application that records meters has it.
 */
public final class LmMeterObservationHandler implements ObservationHandler<LmObservationContext> {

    /** The duration of LM calls, in seconds: {@value}. */
    public static final String OPERATION_DURATION = "gen_ai.client.operation.duration";
    /** The tokens LM calls used: {@value}. */
    public static final String TOKEN_USAGE = "gen_ai.client.token.usage";
    private static final String TOKEN_TYPE = "gen_ai.token.type";

    private final MeterRegistry registry;

    /**
     * @param registry where the meters are registered
     * @throws IllegalArgumentException when null
     */
    public LmMeterObservationHandler(MeterRegistry registry) {
        if (registry == null) {
            throw new IllegalArgumentException("meter registry must not be null");
        }
        this.registry = registry;
    }

    @Override
    public void onStart(LmObservationContext context) {
        context.put(Timer.Sample.class, Timer.start(registry));
    }

    @Override
    public void onStop(LmObservationContext context) {
        List<Tag> tags = new ArrayList<>(6);
        for (KeyValue kv : context.getLowCardinalityKeyValues()) {
            tags.add(Tag.of(kv.getKey(), kv.getValue()));
        }
        Tags common = Tags.of(tags);
        Timer.Sample sample = context.get(Timer.Sample.class);
        if (sample != null) {
            sample.stop(Timer.builder(OPERATION_DURATION).description("GenAI operation duration").tags(common)
                    .register(registry));
        }
        LmResponse response = context.response();
        if (response == null || context.getError() != null) {
            return;
        }
        Usage usage = response.usage();
        if (usage.promptTokens() == 0 && usage.completionTokens() == 0) {
            return;
        }
        DistributionSummary.builder(TOKEN_USAGE).description("Number of input and output tokens used")
                .baseUnit("tokens").tags(common).tag(TOKEN_TYPE, "input").register(registry)
                .record(usage.promptTokens());
        DistributionSummary.builder(TOKEN_USAGE).description("Number of input and output tokens used")
                .baseUnit("tokens").tags(common).tag(TOKEN_TYPE, "output").register(registry)
                .record(usage.completionTokens());
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof LmObservationContext;
    }
}
