"""json for sandboxed PyPy builds, whose standard json module cannot be imported (it needs struct,
a built-in module those builds leave out). Put on sys.path only there, ahead of the standard library;
it has the functions guest code uses most: loads, dumps, load, dump.
"""

from cordon._minijson import dumps as _dumps, loads as _loads

__all__ = ["loads", "dumps", "load", "dump"]


def dumps(obj, **options):
    return _dumps(obj, allow_nan=options.get("allow_nan", True))


def loads(text, **options):
    return _loads(text)


def dump(obj, fp, **options):
    fp.write(dumps(obj, **options))


def load(fp, **options):
    return loads(fp.read())
