"""Expected prompts and saved demos of DSPy 3.3.1 for dspy.History and dspy.Image (fixture types_dspy331.json of
HistoryConformanceTest and ImageConformanceTest).

Needs DSPy 3.3.1's source with its third-party dependencies stubbed (stubs.py, and jr.py as a json_repair stand-in)
in /tmp/dspy331: python3 gen_types.py > ../types_dspy331.json
"""
import base64, json, os, sys, tempfile
sys.path.insert(0, "/tmp/dspy331")
import stubs  # noqa: F401
import jr  # noqa: F401
import dspy
from dspy.adapters.types.tool import Tool

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, ord("I"), ord("H"), ord("D"), ord("R")])
PIC = os.path.join(tempfile.mkdtemp(), "pic.png")
with open(PIC, "wb") as f:
    f.write(PNG)


class QA(dspy.Signature):
    """Answer questions with short factoid answers."""
    question: str = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()


qa_history = dspy.History(messages=[
    {"question": "What is the capital of France?", "answer": "Paris"},
    {"question": "Und von Österreich? «kurz»", "answer": "Wien", "note": "ignored: not a field"},
])
qa_inputs = dict(question="And of Germany?", history=qa_history)
qa_demos = [
    dict(question="Capital of Italy?", history=dspy.History(messages=[{"question": "Hi", "answer": "Hello"}]),
         answer="Rome"),
    dict(question="Capital of Spain?", answer="Madrid"),
]


class Multi(dspy.Signature):
    """Answer from the context."""
    context: list[str] = dspy.InputField(desc="facts")
    history: dspy.History = dspy.InputField()
    question: str = dspy.InputField()
    reasoning: str = dspy.OutputField()
    answer: int = dspy.OutputField()


multi_inputs = dict(context=["Ann has 3 apples.", "Bob has 2."], question="How many in all?",
                    history=dspy.History(messages=[
                        {"context": ["Ann has 1 pear."], "question": "Pears?", "reasoning": "Ann has one.",
                         "answer": 1},
                        {"context": [], "question": "Plums?", "reasoning": None, "answer": 0},
                    ]))


class Look(dspy.Signature):
    """Answer about the image."""
    image: dspy.Image = dspy.InputField()
    question: str = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()


look_inputs = dict(image=dspy.Image("https://example.com/now.png"), question="And now?",
                   history=dspy.History(messages=[
                       {"image": dspy.Image("https://example.com/before.png"), "question": "What is it?",
                        "answer": "A cat."},
                       {"image": dspy.Image.from_path(PIC), "question": "And this?", "answer": "A tiny PNG."},
                   ]))


class Pictures(dspy.Signature):
    """Compare the pictures."""
    photo: dspy.Image = dspy.InputField(desc="the photo")
    gallery: list[dspy.Image] = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()
    best: dspy.Image = dspy.OutputField(desc="the best picture")


pictures_inputs = dict(photo=dspy.Image.from_path(PIC), gallery=[dspy.Image("https://example.com/g1.jpg"),
                       dspy.Image("data:image/png;base64," + base64.b64encode(PNG).decode())],
                       question="Which is best?")
pictures_demos = [dict(photo=dspy.Image("https://example.com/old.png"), gallery=[], question="Best?",
                       answer="the old one", best=dspy.Image("https://example.com/old.png"))]


def search(query: str) -> str:
    """Search the web."""
    return "x"


class Calls(dspy.Signature):
    """Answer with tools."""
    question: str = dspy.InputField()
    tools: list[dspy.Tool] = dspy.InputField()
    history: dspy.History = dspy.InputField()
    answer: str = dspy.OutputField()
    calls: dspy.ToolCalls = dspy.OutputField()


calls_inputs = dict(question="And Bern?", tools=[Tool(search)], history=dspy.History(messages=[
    {"question": "Weather in Zürich?", "answer": "Let me look.",
     "calls": dspy.ToolCalls.from_dict_list([{"name": "search", "args": {"query": "Zürich weather"}}])},
    {"question": "And Basel?", "answer": None,
     "calls": dspy.ToolCalls.from_dict_list([{"name": "search", "args": {"query": "Basel"}}])},
    {"question": "Thanks!", "answer": "You're welcome.", "calls": dspy.ToolCalls(tool_calls=[])},
]))


class FakeLM:
    supports_function_calling = True
    model = "fake"


ADAPTERS = [("chat", dspy.ChatAdapter), ("json", dspy.JSONAdapter)]
cases = []


def case(name, sig, demos, inputs, native=False):
    for aname, make in ADAPTERS:
        adapter = make(use_native_function_calling=native)
        shown = adapter._call_preprocess(FakeLM(), {}, sig, dict(inputs)) if native else sig
        cases.append({"case": name + "/" + aname, "messages": adapter.format(shown, demos, dict(inputs))})


case("qa", QA, qa_demos, qa_inputs)
case("qa_empty", QA, [], dict(question="Hi?", history=dspy.History(messages=[])))
case("qa_absent", QA, [], dict(question="Hi?"))
case("multi", Multi, [], multi_inputs)
case("look", Look, [], look_inputs)
case("pictures", Pictures, pictures_demos, pictures_inputs)
case("calls", Calls, [], calls_inputs)
case("calls_native", Calls, [], calls_inputs, native=True)

predict = dspy.Predict(Look)
predict.demos = [dspy.Example(image=dspy.Image("https://example.com/d.png"), question="What?",
                              history=dspy.History(messages=[{"image": dspy.Image.from_path(PIC), "question": "Q0",
                                                              "answer": "A0"}]),
                              answer="A dog.")]
state = predict.dump_state()
def add(a: int, b: int) -> int:
    return a + b


tools_predict = dspy.Predict("question, tools: list[dspy.Tool] -> answer, calls: dspy.ToolCalls")
tools_predict.demos = [dspy.Example(question="q", tools=[Tool(add)], answer="4",
                                    calls=dspy.ToolCalls.from_dict_list([{"name": "add", "args": {"a": 2, "b": 2}}]))]
tool_demos = tools_predict.dump_state()["demos"]
reprs = {"url": repr(dspy.Image("https://example.com/a.png")), "data": repr(dspy.Image.from_path(PIC))}
json.dump({"cases": cases, "saved_demos": state["demos"], "saved_tool_demos": tool_demos, "repr": reprs}, sys.stdout, ensure_ascii=False, indent=1)
