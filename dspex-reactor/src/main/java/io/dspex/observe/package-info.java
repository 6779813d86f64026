/**
 * Observability: DSPy's callbacks and Micrometer observations of module calls, requests to models, tool calls and
 * evaluations, named after OpenTelemetry's GenAI semantic conventions.
 *
 * <p>Register {@link io.dspex.observe.Callback}s and an {@code ObservationRegistry} in the settings, process-wide
 * or for one run in the Reactor Context:
 *
 * <pre>{@code
 * ObservationRegistry observations = ObservationRegistry.create();
 * observations.observationConfig()
 *         .observationHandler(new DefaultMeterObservationHandler(meters))     // a timer per observation name
 *         .observationHandler(new LmMeterObservationHandler(meters))          // gen_ai.client.* meters
 *         .observationHandler(new DefaultTracingObservationHandler(tracer));  // spans (micrometer-tracing)
 * Settings.configure(Settings.empty().withLm(lm).withObservationRegistry(observations));
 * qa.forward(inputs).contextWrite(Settings.empty().withCallbacks(List.of(myCallback)).asContext());
 * }</pre>
 *
 * <p><b>Observations</b> (names, then low- and high-cardinality key values):
 * <table>
 *   <caption>Observations</caption>
 *   <tr><th>observation</th><th>one per</th><th>contextual name</th><th>low cardinality</th><th>high cardinality</th></tr>
 *   <tr><td>{@code dspex.module}</td><td>{@code Module.forward}</td><td>the module's class</td>
 *       <td>{@code dspex.module} (the class's simple name)</td><td>{@code dspex.signature} (predictors)</td></tr>
 *   <tr><td>{@code gen_ai.client.operation}</td><td>request to a model: each attempt of a predictor's LM call</td>
 *       <td>{@code chat <model>}</td>
 *       <td>{@code gen_ai.operation.name} ({@code chat}), {@code gen_ai.provider.name}, {@code gen_ai.request.model},
 *       {@code gen_ai.response.model}, {@code error.type}</td>
 *       <td>{@code gen_ai.usage.input_tokens}, {@code gen_ai.usage.output_tokens},
 *       {@code gen_ai.response.finish_reasons}, {@code gen_ai.request.temperature}, {@code gen_ai.request.max_tokens},
 *       {@code gen_ai.request.choice.count}, {@code gen_ai.request.seed}, {@code server.address},
 *       {@code server.port}, {@code dspex.lm.attempt} (1, then 2, 3... for retries)</td></tr>
 *   <tr><td>{@code dspex.tool}</td><td>{@link io.dspex.observe.Instrumentation#tool tool call}</td>
 *       <td>{@code execute_tool <name>}</td>
 *       <td>{@code gen_ai.operation.name} ({@code execute_tool}), {@code gen_ai.tool.name}, {@code error.type}</td>
 *       <td></td></tr>
 *   <tr><td>{@code dspex.evaluate}</td><td>{@code Evaluate.run}</td><td>{@code evaluate}</td>
 *       <td>{@code dspex.module} (the program's class), {@code error.type}</td><td>{@code dspex.devset.size}</td></tr>
 * </table>
 *
 * <p>{@code error.type} is present only on a call that failed (the exception's class name) or was cancelled
 * ({@code cancelled}). {@code gen_ai.provider.name} is {@code openai} for {@code OpenAiCompatibleLm} (OpenTelemetry
 * names the OpenAI API so, whoever serves it), the scheme of another model's {@code id()} when it has one
 * ({@code ollama:...}), else {@code _OTHER}; change it, or any key, with an {@code ObservationFilter}. The request model
 * is the request's, else the one an OpenAI-compatible client's id names.
 *
 * <p><b>Nesting.</b> Each observation is the parent of the calls made inside it, across Reactor operators and threads:
 * it rides in the Reactor Context under Micrometer's key ({@code ObservationThreadLocalAccessor.KEY}), where an
 * observation of the caller (Spring WebFlux's, Reactor's {@code Micrometer.observation} tap) is found too, and
 * otherwise the thread's current observation is the parent. A trace of a two-step program reads: program module,
 * then a predictor module per step, each holding a {@code chat <model>} observation per request it sent (a retry is
 * a sibling of the attempt it repeats, numbered by {@code dspex.lm.attempt}); a model of your own whose HTTP client
 * observes its requests (Spring's {@code WebClient}) finds the {@code chat} observation as their parent. No
 * thread-local is set. The library's own clients make no HTTP observation and hide the observation from Reactor
 * Netty, whose body operators would otherwise open and close its thread-local scope on every signal when Micrometer's
 * context-propagation is on the class path.
 *
 * <p>Callbacks and observations differ on purpose in one place: DSPy's LM events pair up once per LM call, retries
 * included (as around DSPy's {@code lm(...)}, which retries inside), while an observation is made per request to the
 * model, as OpenTelemetry's client spans are, so that the duration meter times the model and error rates count
 * each failed request.
 *
 * <p><b>Cost.</b> Each observation costs what Micrometer and the registered handlers make of it (a tracing handler
 * and a meter handler: a few microseconds and kilobytes per call). Switch kinds off with Micrometer's predicate,
 * e.g. {@code observationConfig().observationPredicate((name, c) -> !name.equals("dspex.module"))}: the requests
 * then nest directly in the caller's observation.
 *
 * <p><b>Content.</b> No observation records a prompt, a reply, inputs or outputs, and none ever records an API key
 * (no request holds one). Opt in to prompts and replies with {@link io.dspex.observe.LmContentObservationFilter}.
 *
 * <p><b>Failures</b> of the registry (a handler that throws) are logged and never fail a call: the call goes on
 * without its observation.
 */
@NullMarked
package io.dspex.observe;

import org.jspecify.annotations.NullMarked;
