"""Expected prompts of DSPy 3.3.1's MultiChainComparison and Refine, for DSPEx's conformance tests (issue 16).

Run inside a DSPy 3.3.1 checkout with its adapter dependencies (pydantic, orjson, numpy; others stubbed):
    python3 gen_i16.py OUT_DIR
Writes one JSON file per case: {"requests": [[{"role":..., "content":...}, ...], ...], ...}.
"""
import json, os, sys, tempfile
sys.path.insert(0, "/tmp/dspy331")
import stubs  # noqa: F401
import json_repair  # stubbed: replies here are valid JSON, so json.loads is what json_repair.loads would return


def _loads(text):
    try:
        return json.loads(text)
    except ValueError:
        return ""


json_repair.loads = _loads
import dspy
from dspy.utils.dummies import DummyLM


class RecordingLM(DummyLM):
    """DummyLM that records every call's messages and its merged parameters; copies (lm.copy) share the log."""
    calls = []

    def forward(self, prompt=None, messages=None, **kwargs):
        call = {"messages": [{"role": m["role"], "content": m["content"]} for m in messages],
                "kwargs": {**self.kwargs, **kwargs}}
        RecordingLM.calls.append(call)
        response = super().forward(prompt=prompt, messages=messages, **kwargs)
        call["reply"] = response.choices[0].message.content
        return response

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)


def write(name, obj):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def requests():
    return [c["messages"] for c in RecordingLM.calls]


def replies():
    return [c["reply"] for c in RecordingLM.calls]


# ---------------------------------------------------------------- MultiChainComparison
RecordingLM.calls = []
lm = RecordingLM([{"rationale": "compare the attempts: both say Paris.", "answer": "Paris"}])
dspy.configure(lm=lm, adapter=dspy.ChatAdapter())
mcc = dspy.MultiChainComparison("question -> answer", M=3)
completions = [
    {"reasoning": "  find the capital of France.\nIt is Paris, a large city.", "answer": " Paris \n(France)"},
    {"reasoning": "recall geography", "answer": "Lyon"},
    {"rationale": "think « carefully » about it", "reasoning": "ignored", "answer": 42},
]
pred = mcc(completions, question="What is the capital of France?")
mcc_state = None
with tempfile.TemporaryDirectory() as d:
    mcc.predict.demos = [dspy.Example(question="Capital of Italy?", reasoning_attempt_1="«I'm trying to a»",
                                      rationale="r", answer="Rome")]
    path = os.path.join(d, "mcc.json")
    mcc.save(path)
    mcc_state = open(path, encoding="utf-8").read()
write("multi_chain_comparison.json", {"requests": requests(), "replies": replies(), "answer": pred.answer,
                                      "rationale": pred.rationale, "saved": mcc_state})

# ---------------------------------------------------------------- Refine
# The program and reward code are Python source in DSPy; DSPEx sends text it is given (or a default) instead, so the
# fixture sets the same text on DSPy's side.
PROGRAM_CODE = "ChainOfThought(predict=Predict(question -> reasoning, answer))"
REWARD_CODE = "one word answers score 1.0"


def one_word(args, pred):
    return 1.0 if len(pred.answer.split()) == 1 else 0.0


RecordingLM.calls = []
lm = RecordingLM([
    {"reasoning": "Belgium's capital is a city.", "answer": "The city of Brussels"},
    {"discussion": "The module answered with several words.", "advice": {"predict": "Answer with one word: the city name."}},
    {"reasoning": "Brussels, still.", "answer": "Capital Brussels"},
    {"discussion": "Still two words « again ».", "advice": {"predict": "Only the name, e.g. Brussels.", "other": "N/A"}},
    {"reasoning": "Just the name.", "answer": "Brussels"},
])
dspy.configure(lm=lm, adapter=dspy.ChatAdapter())
qa = dspy.ChainOfThought("question -> answer")
refine = dspy.Refine(module=qa, N=3, reward_fn=one_word, threshold=1.0)
refine.module_code = PROGRAM_CODE
refine.reward_fn_code = REWARD_CODE
result = refine(question="What is the capital of Belgium?")
write("refine.json", {"requests": requests(), "replies": replies(), "answer": result.answer, "program_code": PROGRAM_CODE,
                      "reward_code": REWARD_CODE,
                      "rollout_ids": [c["kwargs"].get("rollout_id") for c in RecordingLM.calls],
                      "temperatures": [c["kwargs"].get("temperature") for c in RecordingLM.calls]})
print("ok", out_dir)
