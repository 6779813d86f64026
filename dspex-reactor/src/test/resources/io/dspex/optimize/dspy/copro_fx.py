import json, sys
from rec import *
from dspy.teleprompt import COPRO

def task(messages, kwargs, i):
    sysmsg = messages[0]["content"]
    user = messages[-1]["content"]
    word = user.split("]]\n", 1)[1].split("\n\n", 1)[0]
    if "reverse" in sysmsg.lower():
        return {"answer": word[::-1]}
    if "upper" in sysmsg.lower():
        return {"answer": word.upper()}
    return {"answer": word}

counter = {"n": 0}
def proposer(messages, kwargs, i):
    counter["n"] += 1
    k = counter["n"]
    texts = {1: "Upper-case the word.", 2: "Repeat the word.", 3: '"Reverse the word."', 5: "Proposed Instruction: Write the word backwards."}
    t = texts.get(k, f"Candidate number {k}.")
    return {"proposed_instruction": t, "proposed_prefix_for_output_field": f"Answer {k}:"}

task_lm = RecLM(task)
prompt_lm = RecLM(proposer)
dspy.configure(lm=task_lm)
train = [dspy.Example(word=w, answer=w[::-1]).with_inputs("word") for w in ["cat", "owl", "stressed", "drawer", "level"]]
train[-1] = dspy.Example(word="level", answer="level").with_inputs("word")
metric = lambda ex, pred, trace=None: ex.answer == pred.answer
student = dspy.Predict(dspy.Signature("word -> answer", "Echo the word."))
opt = COPRO(prompt_model=prompt_lm, metric=metric, breadth=3, depth=2, init_temperature=1.4, track_stats=True)
best = opt.compile(student, trainset=train, eval_kwargs=dict(num_threads=1, display_progress=False))
out = {
  "prompt_calls": [{"messages": m, "temperature": k.get("temperature"), "n": k.get("n")} for m, k in prompt_lm.calls],
  "task_calls": len(task_lm.calls),
  "best_instruction": best.signature.instructions,
  "best_prefix": list(best.signature.fields.values())[-1].json_schema_extra["prefix"],
  "total_calls": best.total_calls,
  "candidates": [{"instruction": c["instruction"], "prefix": c["prefix"], "score": c["score"], "depth": c["depth"]} for c in best.candidate_programs],
  "results_best": list(best.results_best.values()),
  "results_latest": list(best.results_latest.values()),
}
json.dump(out, open(sys.argv[1], "w"), indent=1, ensure_ascii=False)
print(json.dumps(out, indent=1, ensure_ascii=False)[:6000])
