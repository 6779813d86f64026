import json, sys
import optstub  # real optuna from source
from rec import *
import stubs
stubs.MISSING.discard("optuna")
from dspy.teleprompt import MIPROv2

TIPS = {
 "Don't be afraid to be creative when creating the new instruction!": "Upper-case the word.",
 "Keep the instruction clear and concise.": "Echo the word back.",
 "Make sure your instruction is very informative and descriptive.": "Reverse the letters of the word.",
 "The instruction should include a high stakes scenario in which the LM must solve the task!": "Lives depend on it: spell the word in upper case.",
 'Include a persona that is relevant to the task in the instruction (ie. "You are a ...")': "You are a mirror. Return the word.",
}

def task(messages, kwargs, i):
    sysmsg = messages[0]["content"]
    user = messages[-1]["content"]
    word = user.split("]]\n", 1)[1].split("\n\n", 1)[0]
    obj = sysmsg.split("your objective is:", 1)[1].lower()
    if "revers" in obj:
        return {"answer": word[::-1]}
    if "upper" in obj:
        return {"answer": word.upper()}
    return {"answer": word}

def proposer(messages, kwargs, i):
    s = messages[0]["content"]
    u = messages[-1]["content"]
    if "`summary` (str)" in s:
        return {"summary": "Summary: Words and their reversals."}
    if "`observations` (str): Somethings that holds true for most or all of the data you observed or COMPLETE" in s:
        return {"observations": "COMPLETE" if "level" in u else "Some words are palindromes."}
    if "`observations` (str)" in s:
        return {"observations": "The answers are the words written backwards."}
    if "`summary` (str)" in s:
        return {"summary": "Summary: Words and their reversals."}
    if "`proposed_instruction`" in s:
        inst = "Reverse the word."
        for tip, text in TIPS.items():
            if "[[ ## tip ## ]]\n" + tip in u:
                inst = text
        return {"proposed_instruction": "Proposed Instruction: " + inst}
    raise ValueError("unexpected prompt " + s[:200])

def run(name, words, student, compile_kwargs, init_kwargs):
    task_lm = RecLM(task)
    prompt_lm = RecLM(proposer)
    dspy.configure(lm=task_lm)
    train = [dspy.Example(word=w, answer=w[::-1]).with_inputs("word") for w in words]
    metric = lambda ex, pred, trace=None: ex.answer == pred.answer
    opt = MIPROv2(metric=metric, prompt_model=prompt_lm, task_model=task_lm, num_threads=1, **init_kwargs)
    best = opt.compile(student, trainset=train, **compile_kwargs)
    trials = []
    for num, log in sorted(best.trial_logs.items()):
        t = {"trial": num}
        for k, v in log.items():
            if k.endswith("_program") or k.endswith("_path"):
                continue
            t[k] = v
        trials.append(t)
    out = {
      "prompt_calls": [{"messages": m, "temperature": k.get("temperature"), "n": k.get("n"), "rollout_id": k.get("rollout_id")} for m, k in prompt_lm.calls],
      "task_calls": len(task_lm.calls),
      "best_instructions": [p.signature.instructions for p in best.predictors()],
      "best_demos": [[dict(d) for d in p.demos] for p in best.predictors()],
      "best_score": best.score,
      "trials": trials,
    }
    json.dump(out, open(f"/tmp/i19/{name}.json", "w"), indent=1, ensure_ascii=False)
    print(name, "task calls", out["task_calls"], "prompt calls", len(out["prompt_calls"]), "best", out["best_instructions"], best.score)
    for t in trials: print("  ", t)

WORDS = ["stressed", "level", "drawer", "cat", "owl", "noon", "deliver", "gateman", "straw", "racecar", "parts", "keep", "wolf", "tuba", "kayak", "pals"]
run("mipro_zeroshot", WORDS, dspy.Predict(dspy.Signature("word -> answer", "Echo the word.")),
    dict(num_trials=7, minibatch=True, minibatch_size=4, minibatch_full_eval_steps=3, program_aware_proposer=False, view_data_batch_size=5),
    dict(auto=None, num_candidates=4, max_bootstrapped_demos=0, max_labeled_demos=0, seed=11))

run("mipro_fewshot", WORDS[:12], dspy.Predict(dspy.Signature("word -> answer", "Echo the word.")),
    dict(num_trials=5, minibatch=False, program_aware_proposer=False, view_data_batch_size=3),
    dict(auto=None, num_candidates=4, max_bootstrapped_demos=2, max_labeled_demos=2, seed=5))
run("mipro_auto_light", WORDS, dspy.Predict(dspy.Signature("word -> answer", "Echo the word.")),
    dict(program_aware_proposer=False, view_data_batch_size=4),
    dict(auto="light", max_bootstrapped_demos=0, max_labeled_demos=0, seed=21))
