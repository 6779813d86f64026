package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Trace;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;

/** A predictor computing its outputs with a function of (inputs, demos), recording trace entries like Predict. */
final class FakePredictor implements Predictor {

    /** One call as the predictor saw it. */
    record Call(Map<String, Object> inputs, List<Example> demos, Settings settings) {
    }

    private final Signature signature;
    private final List<Example> demos;
    private final BiFunction<Map<String, Object>, List<Example>, Map<String, Object>> behaviour;
    private final Queue<Call> calls;

    FakePredictor(String spec, BiFunction<Map<String, Object>, List<Example>, Map<String, Object>> behaviour) {
        this(Signature.parse(spec), List.of(), behaviour, new ConcurrentLinkedQueue<>());
    }

    private FakePredictor(Signature signature, List<Example> demos,
                          BiFunction<Map<String, Object>, List<Example>, Map<String, Object>> behaviour,
                          Queue<Call> calls) {
        this.signature = signature;
        this.demos = List.copyOf(demos);
        this.behaviour = behaviour;
        this.calls = calls;
    }

    /** Calls of this predictor and of every copy made from it. */
    Queue<Call> calls() {
        return calls;
    }

    @Override
    public Signature signature() {
        return signature;
    }

    @Override
    public List<Example> demos() {
        return demos;
    }

    @Override
    public FakePredictor withDemos(List<Example> demos) {
        return new FakePredictor(signature, demos, behaviour, calls);
    }

    @Override
    public FakePredictor withSignature(Signature signature) {
        return new FakePredictor(signature, demos, behaviour, calls);
    }

    @Override
    public Mono<Prediction> forward(Example example) {
        return Mono.deferContextual(ctx -> {
            Map<String, Object> inputs = new LinkedHashMap<>();
            signature.inputFields().forEach(f -> inputs.put(f.name(), example.get(f.name())));
            calls.add(new Call(inputs, demos, Settings.fromContext(ctx)));
            Prediction p = Prediction.of(behaviour.apply(inputs, demos));
            Trace.current(ctx).ifPresent(t -> t.record(new Trace.Entry(this, inputs, p)));
            return Mono.just(p);
        });
    }

    @Override
    public String toString() {
        return "FakePredictor(" + signature.spec() + ", demos=" + demos.size() + ")";
    }
}
