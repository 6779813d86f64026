import sys, types
sys.path.insert(0, "/tmp/i19/optuna_src")
import importlib.abc, importlib.machinery, types
MISSING = {"sqlalchemy", "alembic", "colorlog", "yaml", "cmaes", "scipy", "torch"}
class _Tq:
    _instances = set()
    def __init__(self, it=None, *a, **k): self.it = it if it is not None else []; self.n = 0
    def __iter__(self): return iter(self.it)
    def update(self, *a): pass
    def set_description(self, *a, **k): pass
    def close(self): pass
    def __enter__(self): return self
    def __exit__(self, *a): pass
    def refresh(self): pass
_tqm = types.ModuleType("tqdm"); _tqm.tqdm = _Tq; _tqm.auto = _tqm; sys.modules["tqdm"] = _tqm; sys.modules["tqdm.auto"] = _tqm

class _Any:
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return _Any()
    def __getattr__(self, n): return _Any()
    def __mro_entries__(self, bases): return (object,)
class _Module(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"): raise AttributeError(name)
        return _Any()
class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in MISSING:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
    def create_module(self, spec):
        m = _Module(spec.name); m.__path__ = []; return m
    def exec_module(self, module): pass
sys.meta_path.insert(0, _Finder())
import optuna
