import sys
sys.path.insert(0, "/tmp/dspy331")
import stubs  # noqa
import dspy
from dspy.utils.dummies import DummyLM

class RecLM(DummyLM):
    """Records every call (messages, kwargs) and answers with fn(messages, kwargs, i) -> dict of fields."""
    def __init__(self, fn, name="rec"):
        super().__init__([])
        self.fn = fn
        self.calls = []
        self.name = name
    def forward(self, prompt=None, messages=None, **kwargs):
        kwargs = {**self.kwargs, **kwargs}
        self.calls.append((messages, kwargs))
        n = kwargs.get("n", 1)
        outs = [self._format_answer_fields(self.fn(messages, kwargs, i)) for i in range(n)]
        from dspy.dsp.utils.utils import dotdict
        return dotdict(choices=[dotdict(message=dotdict(content=o, tool_calls=None), finish_reason="stop") for o in outs],
                       usage={}, model="dummy")
