package io.dspex.observe;

import io.dspex.lm.LmResponse;
import io.dspex.lm.Usage;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Records OpenTelemetry's GenAI client meters from the observations of requests to models: {@value #OPERATION_DURATION}
 * (a timer of each request, one per attempt of a retried call) and {@value #TOKEN_USAGE} (a distribution summary of
 * the tokens the provider reported, tagged {@code gen_ai.token.type} = {@code input} or {@code output}; a request
 * that reported no usage, such as a cache hit, records none). Both are tagged with the observation's
 * {@code gen_ai.operation.name}, {@code gen_ai.provider.name}, {@code gen_ai.request.model} and
 * {@code gen_ai.response.model} when known, and the duration with {@code error.type} when the request failed (the
 * exception's class name) or was cancelled ({@code cancelled}).
 *
 * <pre>{@code
 * MeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * ObservationRegistry observations = ObservationRegistry.create();
 * observations.observationConfig().observationHandler(new LmMeterObservationHandler(meters));
 * Settings.configure(Settings.empty().withLm(lm).withObservationRegistry(observations));
 * }</pre>
 *
 * <p>Plain meters, without histogram buckets; add them with a {@code MeterFilter} when your backend wants them
 * (OpenTelemetry suggests explicit boundaries for both). The meters of each combination of tags are looked up once
 * and kept (the tags are low-cardinality by definition; past 1,000 combinations they are looked up each time). Needs
 * micrometer-core, an optional dependency of this library: an application that records meters has it.
 */
public final class LmMeterObservationHandler implements ObservationHandler<LmObservationContext> {

    /** The duration of requests to models, in seconds: {@value}. */
    public static final String OPERATION_DURATION = "gen_ai.client.operation.duration";
    /** The tokens requests to models used: {@value}. */
    public static final String TOKEN_USAGE = "gen_ai.client.token.usage";

    private static final String TOKEN_TYPE = "gen_ai.token.type";
    private static final int MAX_CACHED = 1_000;

    private final MeterRegistry registry;
    private final Map<Key, Meters> meters = new ConcurrentHashMap<>();
    /** The meters used last: most requests of a program have the tags of the one before. */
    private volatile @Nullable Meters last;

    /** The tags of one combination. */
    private record Key(@Nullable String operation, @Nullable String provider, @Nullable String requestModel,
                       @Nullable String responseModel, @Nullable String errorType) {
        boolean is(@Nullable String op, @Nullable String prov, @Nullable String reqModel, @Nullable String respModel,
                   @Nullable String error) {
            return Objects.equals(op, operation) && Objects.equals(prov, provider)
                    && Objects.equals(reqModel, requestModel) && Objects.equals(respModel, responseModel)
                    && Objects.equals(error, errorType);
        }
    }

    /** The meters of one combination of tags; the token summaries are registered when first recorded. */
    private static final class Meters {
        final Key key;
        final Timer duration;
        final Tags tokenTags;
        volatile @Nullable DistributionSummary input;
        volatile @Nullable DistributionSummary output;

        Meters(Key key, Timer duration, Tags tokenTags) {
            this.key = key;
            this.duration = duration;
            this.tokenTags = tokenTags;
        }
    }

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
        // Under this handler's own key: Micrometer's DefaultMeterObservationHandler keeps its sample under
        // Timer.Sample.class, and two of these handlers (two registries) keep one each.
        context.put(this, Timer.start(registry));
    }

    @Override
    public void onStop(LmObservationContext context) {
        String operation = value(context, Calls.OPERATION);
        String provider = value(context, Calls.PROVIDER);
        String requestModel = value(context, Calls.REQUEST_MODEL);
        String responseModel = value(context, Calls.RESPONSE_MODEL);
        String errorType = value(context, Observed.ERROR_TYPE);
        Meters m = last;
        if (m == null || !m.key.is(operation, provider, requestModel, responseModel, errorType)) {
            Key key = new Key(operation, provider, requestModel, responseModel, errorType);
            m = meters.get(key);
            if (m == null) {
                m = register(key);
                if (meters.size() < MAX_CACHED) {
                    meters.putIfAbsent(key, m);
                }
            }
            last = m;
        }
        Timer.Sample sample = context.get(this);
        if (sample != null) {
            sample.stop(m.duration);
        }
        LmResponse response = context.response();
        if (response == null || context.getError() != null) {
            return;
        }
        Usage usage = response.usage();
        if (usage.promptTokens() == 0 && usage.completionTokens() == 0) {
            return;
        }
        DistributionSummary input = m.input;
        DistributionSummary output = m.output;
        if (input == null || output == null) {
            input = tokens(m.tokenTags, "input");
            output = tokens(m.tokenTags, "output");
            m.input = input;
            m.output = output;
        }
        input.record(usage.promptTokens());
        output.record(usage.completionTokens());
    }

    private DistributionSummary tokens(Tags tags, String type) {
        return DistributionSummary.builder(TOKEN_USAGE).description("Number of input and output tokens used")
                .baseUnit("tokens").tags(tags).tag(TOKEN_TYPE, type).register(registry);
    }

    private Meters register(Key key) {
        Tags tags = Tags.empty();
        tags = tag(tags, Calls.OPERATION, key.operation());
        tags = tag(tags, Calls.PROVIDER, key.provider());
        tags = tag(tags, Calls.REQUEST_MODEL, key.requestModel());
        tags = tag(tags, Calls.RESPONSE_MODEL, key.responseModel());
        Tags tokenTags = tags;
        tags = tag(tags, Observed.ERROR_TYPE, key.errorType());
        Timer duration = Timer.builder(OPERATION_DURATION).description("GenAI operation duration").tags(tags)
                .register(registry);
        return new Meters(key, duration, tokenTags);
    }

    private static Tags tag(Tags tags, String key, @Nullable String value) {
        return value == null ? tags : tags.and(key, value);
    }

    private static @Nullable String value(Observation.Context context, String key) {
        KeyValue kv = context.getLowCardinalityKeyValue(key);
        return kv == null ? null : kv.getValue();
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return context instanceof LmObservationContext;
    }
}
