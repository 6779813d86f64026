"""DSPy 3.3.1's majority() on a few completion lists: which completion wins (for DSPEx's PredictionsTest)."""
import json, sys
sys.path.insert(0, "/tmp/dspy331")
import stubs  # noqa: F401
import dspy
from dspy.predict.aggregation import majority

cases = [
    {"answers": ["Paris", "paris!", "Lyon", "The Paris"]},
    {"answers": ["Lyon", "Paris", "paris", "lyon"]},
    {"answers": ["", "the", "Rome", "a"]},
    {"answers": ["", "the"]},
    {"answers": ["Café", "cafe", "café"]},
    {"answers": ["Paris", "paris", "paris"], "identity": True},
    {"answers": ["  New   York ", "new york", "Boston", "boston", "BOSTON."]},
]
out = []
for c in cases:
    completions = [{"reasoning": f"r{i}", "answer": a} for i, a in enumerate(c["answers"])]
    if c.get("identity"):
        winner = majority(completions, normalize=None, field="answer")
    else:
        winner = majority(dspy.Prediction.from_completions(completions))  # field: the last key
    index = next(i for i, comp in enumerate(completions) if comp["reasoning"] == winner.reasoning)
    out.append({"answers": c["answers"], "identity": bool(c.get("identity")), "winner": index})
json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
print()
