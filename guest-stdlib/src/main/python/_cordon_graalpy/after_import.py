"""Completes standard modules for the sandbox when the guest first imports them.

Some modules need a change to work in the sandbox (asyncio's event loop, the parts of unicodedata that
GraalPy takes from native code, lzma's check of the memory a stream declares). Changing them at boot would cost every context their import; instead a
finder first on sys.meta_path lets the module import as usual and then hands it to its completion, so a
program that never imports them pays nothing.
"""

import sys

# Module name -> the completion's module; each has install(module).
COMPLETIONS = {
    "asyncio": "_cordon_graalpy.event_loop",
    "unicodedata": "_cordon_graalpy.unicode_data",
    "lzma": "_cordon_graalpy.lzma_guard",
}


# What unicode_data adds to unicodedata: functions, and attributes that are not.
UNICODEDATA_FUNCTIONS = ("combining", "east_asian_width", "mirrored", "decimal", "digit", "numeric",
                         "decomposition", "lookup")
UNICODEDATA_ATTRIBUTES = ("UCD", "ucd_3_2_0", "unidata_version")


def install():
    """Puts the finder first on sys.meta_path, and completes what is imported already.

    GraalPy imports unicodedata while a context starts, and its completion reads tables of about 40 KB of
    source: loaded in every context, they cost each one about 10 ms. It is completed on first use instead.
    """
    sys.meta_path.insert(0, AfterImport)
    for name, completion in COMPLETIONS.items():
        if name in sys.modules:
            if name == "unicodedata":
                _complete_unicodedata_on_first_use(sys.modules[name], completion)
            else:
                _complete(sys.modules[name], completion)


def _complete_unicodedata_on_first_use(module, completion):
    """Puts stand-ins on unicodedata for what its completion adds: the first of them used completes it, and
    from then on the module holds the completion's own functions and attributes (a stand-in kept by the guest
    goes on calling the completion's function)."""
    done = []

    def complete():
        if not done:
            module.__dict__.pop("__getattr__", None)
            import importlib
            done.append(importlib.import_module(completion))
            done[0].install(module)
        return done[0]

    def stand_in(name):
        def function(*args):
            return getattr(complete(), name)(*args)
        function.__name__ = function.__qualname__ = name
        function.__module__ = "unicodedata"
        return function

    def __getattr__(name):
        if name in UNICODEDATA_ATTRIBUTES:
            complete()
            return getattr(module, name)
        raise AttributeError("module 'unicodedata' has no attribute '%s'" % name)

    for name in UNICODEDATA_FUNCTIONS:
        setattr(module, name, stand_in(name))
    module.__getattr__ = __getattr__


def _complete(module, completion):
    import importlib
    try:
        importlib.import_module(completion).install(module)
    except (ImportError, AttributeError):
        pass  # a module of the guest's own under that name, not the standard library's


class AfterImport(object):
    """A finder that finds nothing itself: it wraps the loader the next finders give for a completed module."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in COMPLETIONS:
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Completing(spec.loader, COMPLETIONS[name])
                return spec
        return None

    @staticmethod
    def invalidate_caches():
        pass


class _Completing(object):
    """A module's own loader, which hands the module to its completion once it has run."""

    def __init__(self, loader, completion):
        self._loader = loader
        self._completion = completion

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _complete(module, self._completion)

    def __getattr__(self, name):
        return getattr(self._loader, name)
