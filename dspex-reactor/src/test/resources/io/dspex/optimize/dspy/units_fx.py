import json
from rec import *
from dspy.propose.utils import strip_prefix, create_example_string
from dspy.propose.dataset_summary_generator import order_input_keys_in_string
from dspy.propose.grounded_proposer import GenerateModuleInstruction

out = {}
strs = ["Proposed Instruction: Reverse it.", "**Instruction:** Do it", "  Summary: a b", '"Quoted."', "No prefix here.",
        "One Two Three Four Five: x", "One Two Three Four Five Six: x", "it's-a test: \"x\"", "Résumé du jeu: ça va", "a:b", ":x", "Hello:\n\nWorld"]
out["strip_prefix"] = [[s, strip_prefix(s)] for s in strs]
exs = [dspy.Example(question="Why?", context=["a", "b's"], n=3, x=1.5, ok=True, none=None, answer="Because").with_inputs("question", "context", "n"),
       dspy.Example(word="level", answer="level").with_inputs("word"),
       dspy.Example(q='say "hi"', dspy_uuid="zzz", a="ok").with_inputs("q")]
out["trainset_repr"] = order_input_keys_in_string(exs.__repr__())
cot = dspy.ChainOfThought("question, context -> answer")
sig = cot.predict.signature
demo = dspy.Example(augmented=True, question="Q1", context=["c1", "c2"], reasoning="R1", answer="A1")
out["example_string"] = create_example_string(sig.fields, demo)

def prop(messages, kwargs, i):
    s = messages[0]["content"]
    if "`program_description` (str): Describe" in s:
        return {"program_description": "Program Description: It answers questions."}
    if "`module_description`" in s and "Your output fields are:\n1. `module_description`" in s:
        return {"module_description": "It reasons then answers."}
    return {"proposed_instruction": "Instruction: Answer with care."}
lm = RecLM(prop)
dspy.configure(lm=lm)
class Prog(dspy.Module):
    def __init__(self):
        super().__init__()
        self.gen = dspy.ChainOfThought("question, context -> answer")
    def forward(self, **kw):
        return self.gen(**kw)
prog = Prog()
demo_candidates = {0: [[], [dspy.Example(question="Q0", context=["c"], answer="A0")], [demo, demo.copy(question="Q2")]]}
gen = GenerateModuleInstruction(program_code_string="PROGRAM CODE", use_dataset_summary=True, program_aware=True,
                                use_task_demos=True, use_instruct_history=False, use_tip=True)
res = gen(demo_candidates=demo_candidates, pred_i=0, demo_set_i=1, program=prog, previous_instructions="", data_summary="SUMMARY", num_demos_in_context=3, tip="TIP TEXT")
out["program_aware_result"] = res.proposed_instruction
out["program_aware_calls"] = [m for m, k in lm.calls]
lm.calls.clear()
gen2 = GenerateModuleInstruction(program_code_string=None, use_dataset_summary=False, program_aware=False,
                                use_task_demos=False, use_instruct_history=False, use_tip=False)
res2 = gen2(demo_candidates=demo_candidates, pred_i=0, demo_set_i=2, program=prog, previous_instructions="", data_summary=None, num_demos_in_context=3, tip=None)
out["minimal_calls"] = [m for m, k in lm.calls]
json.dump(out, open("/tmp/i19/proposer-units.json", "w"), indent=1, ensure_ascii=False)
print(json.dumps(out, indent=1, ensure_ascii=False)[:5000])
