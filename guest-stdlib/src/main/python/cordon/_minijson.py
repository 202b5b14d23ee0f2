"""A small JSON codec for interpreters without the json module's C helpers.

PyPy's sandboxed builds carry only a few built-in modules (no struct), so the standard json
module cannot be imported there; this one has the two functions the cordon package uses, with
the same results for JSON values. Works on Python 2.7 and on Python 3.
"""

import math
import re

try:
    _text = unicode
    _integers = (int, long)
except NameError:  # Python 3
    _text = str
    _integers = (int,)

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _string(s):
    if isinstance(s, bytes) and _text is not bytes:
        s = s.decode("utf-8")
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def dumps(value, allow_nan=True, ensure_ascii=True):
    """JSON text for None, booleans, numbers, strings, lists, tuples and dicts with string keys."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, _integers):
        return str(int(value)) if not isinstance(value, bool) else str(value).lower()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            if not allow_nan:
                raise ValueError("Out of range float values are not JSON compliant")
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return repr(value)
    if isinstance(value, (_text, bytes)):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v, allow_nan) for v in value) + "]"
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, (_text, bytes)):
                raise TypeError("keys must be strings")
            items.append(_string(k) + ": " + dumps(v, allow_nan))
        return "{" + ", ".join(items) + "}"
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_SPACE = " \t\n\r"


def loads(text):
    """The value of one JSON text; ValueError if it is malformed."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    value, i = _value(text, _skip(text, 0))
    if _skip(text, i) != len(text):
        raise ValueError("Extra data at %d" % i)
    return value


def _skip(s, i):
    while i < len(s) and s[i] in _SPACE:
        i += 1
    return i


def _value(s, i):
    if i >= len(s):
        raise ValueError("Expecting value at %d" % i)
    ch = s[i]
    if ch == '"':
        return _parse_string(s, i + 1)
    if ch == "{":
        result = {}
        i = _skip(s, i + 1)
        if i < len(s) and s[i] == "}":
            return result, i + 1
        while True:
            if i >= len(s) or s[i] != '"':
                raise ValueError("Expecting property name at %d" % i)
            key, i = _parse_string(s, i + 1)
            i = _skip(s, i)
            if i >= len(s) or s[i] != ":":
                raise ValueError("Expecting ':' at %d" % i)
            result[key], i = _value(s, _skip(s, i + 1))
            i = _skip(s, i)
            if i < len(s) and s[i] == ",":
                i = _skip(s, i + 1)
            elif i < len(s) and s[i] == "}":
                return result, i + 1
            else:
                raise ValueError("Expecting ',' or '}' at %d" % i)
    if ch == "[":
        result = []
        i = _skip(s, i + 1)
        if i < len(s) and s[i] == "]":
            return result, i + 1
        while True:
            item, i = _value(s, i)
            result.append(item)
            i = _skip(s, i)
            if i < len(s) and s[i] == ",":
                i = _skip(s, i + 1)
            elif i < len(s) and s[i] == "]":
                return result, i + 1
            else:
                raise ValueError("Expecting ',' or ']' at %d" % i)
    for word, value in (("null", None), ("true", True), ("false", False), ("NaN", float("nan")),
                        ("Infinity", float("inf")), ("-Infinity", float("-inf"))):
        if s.startswith(word, i):
            return value, i + len(word)
    m = _NUMBER.match(s, i)
    if not m:
        raise ValueError("Expecting value at %d" % i)
    number = m.group(0)
    return (float(number) if m.group(2) or m.group(3) else int(number)), m.end()


def _parse_string(s, i):
    out = []
    while True:
        if i >= len(s):
            raise ValueError("Unterminated string")
        ch = s[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            esc = s[i + 1:i + 2]
            if esc == "u":
                code = int(s[i + 2:i + 6], 16)
                i += 6
                if 0xD800 <= code < 0xDC00 and s[i:i + 2] == "\\u":
                    low = int(s[i + 2:i + 6], 16)
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                try:
                    out.append(unichr(code))
                except NameError:
                    out.append(chr(code))
                continue
            mapping = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
            if esc not in mapping:
                raise ValueError("Invalid \\escape at %d" % i)
            out.append(mapping[esc])
            i += 2
        else:
            out.append(ch)
            i += 1
