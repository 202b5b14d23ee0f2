"""The guest side of Cordon: what sandboxed code may import to talk to its host.

    import cordon
    name = cordon.params.get("visitor", "stranger")   # the call's parameters, a dict
    cordon.result({"greeting": "hello " + name})      # the JSON value the host receives

Nothing here grants authority: every call goes to a bridge object that belongs to this one
execution and answers only for it.
"""

_bridge = None


def __getattr__(name):
    # Parameters are decoded on first use so that calls which never read them pay nothing.
    if name == "params":
        global params
        params = _json().loads(_bridge.params()) if _bridge is not None else {}
        return params
    raise AttributeError("module 'cordon' has no attribute %r" % (name,))


def result(value):
    """Set the JSON-compatible value returned to the host as ExecutionResult.value.

    The last call wins. Raises TypeError for a value JSON cannot carry (sets, objects, ...),
    ValueError for NaN or infinity, or when the encoded value exceeds the call's response budget (both
    checked again by the host, whatever this module was made to do).
    """
    text = _json().dumps(value, allow_nan=False, ensure_ascii=False)
    if _bridge is None:
        return
    problem = _bridge.result(text)
    if problem:
        raise ValueError(problem)


def _json():
    """The JSON codec of this package: loads and dumps as the json module's, without importing it.

    Importing json brings json.decoder, json.scanner, json.encoder and re: a tenth of a second or more in a
    fresh context, paid by every call that read its parameters, set a result or imported the gateway. On
    Python 3 the codec is the interpreter's own _json module (the scanner and encoder json itself uses); a
    sandboxed PyPy has neither, nor the struct module json needs, and gets the small codec instead.
    """
    global _codec
    if _codec is None:
        try:
            _codec = _Codec()
        except Exception:
            try:
                import json as _codec
            except ImportError:
                from cordon import _minijson as _codec
    return _codec


_codec = None


class _Codec(object):
    """json.loads and json.dumps for the defaults this package uses, on _json's scanner and encoder."""

    def __init__(self):
        import sys
        if sys.version_info[0] < 3:
            raise ImportError("the json module's own codec on Python 2")
        import _json
        self._scan = _json.make_scanner(_ScanContext())
        self._make_encoder = _json.make_encoder
        self._ascii = _json.encode_basestring_ascii
        self._unicode = _json.encode_basestring

    def loads(self, text):
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8")
        start = _skip_space(text, 0)
        try:
            value, end = self._scan(text, start)
        except StopIteration as e:
            raise ValueError("Expecting value: char %d" % e.value)
        end = _skip_space(text, end)
        if end != len(text):
            raise ValueError("Extra data: char %d" % end)
        return value

    def dumps(self, value, allow_nan=True, ensure_ascii=True):
        encode = self._make_encoder({}, _not_serializable, self._ascii if ensure_ascii else self._unicode, None,
                                    ": ", ", ", False, False, allow_nan)
        return "".join(encode(value, 0))


class _ScanContext(object):
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__


def _skip_space(text, i):
    while i < len(text) and text[i] in " \t\n\r":
        i += 1
    return i


def _not_serializable(o):
    raise TypeError("Object of type %s is not JSON serializable" % (o.__class__.__name__,))
