import json, itertools, warnings
warnings.filterwarnings("ignore")
import optstub, optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
from optuna.distributions import CategoricalDistribution

def table_value(space, params, mod):
    # a deterministic, uneven landscape with ties
    key = 0
    for i, (name, n) in enumerate(space):
        key = key * 7 + params[name] * (i + 3)
    return float((key * 37 + 11) % mod) * 10.0

scenarios = []
def scenario(name, seed, space, n_trials, mod, add_every=0):
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    dists = {n: CategoricalDistribution(range(k)) for n, k in space}
    default = {n: 0 for n, _ in space}
    study.add_trial(optuna.trial.create_trial(params=default, distributions=dists, value=table_value(space, default, mod)))
    events = []
    count = {"n": 0}
    def objective(trial):
        params = {n: trial.suggest_categorical(n, range(k)) for n, k in space}
        v = table_value(space, params, mod)
        events.append({"kind": "ask", "number": trial.number, "params": [params[n] for n, _ in space], "value": v})
        count["n"] += 1
        if add_every and count["n"] % add_every == 0:
            # like MIPROv2's full evaluation: add a finished trial with the best-so-far params, value + 5
            best = max(events, key=lambda e: e["value"])
            p = dict(zip([n for n, _ in space], best["params"]))
            fv = best["value"] + 5.0
            study.add_trial(optuna.trial.create_trial(params=p, distributions=dists, value=fv))
            events.append({"kind": "add", "params": best["params"], "value": fv})
        return v
    study.optimize(objective, n_trials=n_trials)
    scenarios.append({"name": name, "seed": seed, "space": [[n, k] for n, k in space], "trials": n_trials,
                      "mod": mod, "addEvery": add_every, "events": events})

scenario("one-param", 9, [("0_predictor_instruction", 4)], 25, 5)
scenario("two-params-with-full-evals", 5, [("0_predictor_instruction", 5), ("0_predictor_demos", 3)], 30, 7, add_every=4)
scenario("single-choice-param", 11, [("0_predictor_instruction", 1), ("0_predictor_demos", 3)], 15, 4)
scenario("many-ties", 0, [("0_predictor_instruction", 6)], 20, 2)
scenario("ramp-weights", 123, [("0_predictor_instruction", 3), ("0_predictor_demos", 4), ("1_predictor_instruction", 3)], 45, 11, add_every=6)
scenario("twelve-params-order", 77, [(f"{i}_predictor_instruction", 2 + i % 3) for i in range(12)], 14, 9)
json.dump(scenarios, open("/tmp/i19/tpe-optuna.json", "w"), indent=0)
for s in scenarios:
    print(s["name"], [e["params"] for e in s["events"] if e["kind"] == "ask"][:14])
