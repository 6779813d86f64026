package io.dspex.observe;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * The context of the observation of one request to a model ({@value Instrumentation#LM_OBSERVATION}, OpenTelemetry's
 * GenAI client operation; a retried call makes one per attempt): what an {@code ObservationHandler}, {@code ObservationFilter} or {@code ObservationConvention} can
 * read about the call besides its key values. The request and the response are here for handlers in the process
 * (such as {@link LmContentObservationFilter}); the key values exported by default never hold a prompt or a reply.
 *
 * <pre>{@code
 * registry.observationConfig().observationHandler(new ObservationHandler<LmObservationContext>() {
 *     public void onStop(LmObservationContext c) {
 *         if (c.response() != null) {
 *             log.debug("{} used {}", c.requestModel(), c.response().usage());
 *         }
 *     }
 *     public boolean supportsContext(Observation.Context c) {
 *         return c instanceof LmObservationContext;
 *     }
 * });
 * }</pre>
 */
public final class LmObservationContext extends Observation.Context {

    private final LanguageModel lm;
    private final LmRequest request;
    private final String providerName;
    private final @Nullable String requestModel;
    private final int attempt;
    private volatile @Nullable LmResponse response;

    LmObservationContext(LanguageModel lm, LmRequest request, String providerName, @Nullable String requestModel,
                         int attempt) {
        this.lm = lm;
        this.request = request;
        this.providerName = providerName;
        this.requestModel = requestModel;
        this.attempt = attempt;
    }

    /** @return the model called (its {@link LanguageModel#id() id} names it; it holds no secret) */
    public LanguageModel lm() {
        return lm;
    }

    /** @return the request: messages and call parameters */
    public LmRequest request() {
        return request;
    }

    /** @return {@code gen_ai.provider.name}: {@code "openai"} for an OpenAI-compatible client, else see the package doc */
    public String providerName() {
        return providerName;
    }

    /** @return {@code gen_ai.request.model}: the request's model, else the client's default; null when unknown */
    public @Nullable String requestModel() {
        return requestModel;
    }

    /** @return the response, once the call succeeded (null before, and after a failure or cancellation) */
    public @Nullable LmResponse response() {
        return response;
    }

    /** @return which attempt of its call this request is: 1, then 2, 3... for the retries */
    public int attempt() {
        return attempt;
    }

    void response(LmResponse response) {
        this.response = response;
    }
}
