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
    # A sandboxed PyPy has no struct module, which the json package needs; the small codec does.
    try:
        import json
    except ImportError:
        from cordon import _minijson as json
    return json
