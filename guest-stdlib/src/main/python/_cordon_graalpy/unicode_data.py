"""The parts of unicodedata that GraalPy takes from a native module, which the sandbox does not run.

GraalPy answers category, name, normalize, is_normalized and bidirectional in Java, but lookup,
east_asian_width, combining, decimal, digit, numeric, mirrored, decomposition, unidata_version and
ucd_3_2_0 come from its native module, so in the sandbox each ended in ModuleNotFoundError or
AttributeError; with them went stringprep, and so the idna codec ('bücher.example'.encode('idna')),
and the common "strip the accents" idiom (unicodedata.combining). Here they are answered from tables
generated from CPython 3.12's Unicode data (unicode_tables.py and unicode_decompositions.py, by
guest-stdlib/tools/unicode_tables.py) and from GraalPy's own functions:

- combining, east_asian_width, decimal, digit, numeric, mirrored and decomposition read the tables
  (Unicode 15.0, CPython 3.12's version; GraalPy's own functions use Unicode 16.0);
- lookup decodes a \\N{...} escape, which GraalPy resolves in Java (names and aliases; CPython's lookup
  also knows named sequences, which this does not);
- ucd_3_2_0 answers with the current data for the code points Unicode 3.2 assigned and as an unassigned
  code point for the others, which is what stringprep and idna ask of it.
"""

from bisect import bisect_right

from _cordon_graalpy import unicode_tables as _tables

_NO_DEFAULT = object()
_NOT_FOUND = {"decimal": "not a decimal", "digit": "not a digit", "numeric": "not a numeric character",
              "name": "no such name"}


def _ranged(starts, ends, values, default):
    def value(cp):
        i = bisect_right(starts, cp) - 1
        return values[i] if i >= 0 and cp <= ends[i] else default
    return value


_combining = _ranged(_tables.COMBINING_STARTS, _tables.COMBINING_ENDS, _tables.COMBINING_VALUES, 0)
_width = _ranged(_tables.EAST_ASIAN_WIDTH_STARTS, _tables.EAST_ASIAN_WIDTH_ENDS, _tables.EAST_ASIAN_WIDTH_VALUES, "N")
_mirrored = _ranged(_tables.MIRRORED_STARTS, _tables.MIRRORED_ENDS, _tables.MIRRORED_VALUES, 0)
_assigned_3_2 = _ranged(_tables.ASSIGNED_3_2_STARTS, _tables.ASSIGNED_3_2_ENDS, _tables.ASSIGNED_3_2_VALUES, False)


def _linear(starts, ends, firsts, steps):
    def value(cp):
        i = bisect_right(starts, cp) - 1
        return firsts[i] + steps[i] * (cp - starts[i]) if i >= 0 and cp <= ends[i] else None
    return value


_decimal = _linear(_tables.DECIMAL_STARTS, _tables.DECIMAL_ENDS, _tables.DECIMAL_FIRSTS, _tables.DECIMAL_STEPS)
_digit = _linear(_tables.DIGIT_STARTS, _tables.DIGIT_ENDS, _tables.DIGIT_FIRSTS, _tables.DIGIT_STEPS)
_numeric = _linear(_tables.NUMERIC_STARTS, _tables.NUMERIC_ENDS, _tables.NUMERIC_FIRSTS, _tables.NUMERIC_STEPS)


def _code_point(function, chr):
    if not isinstance(chr, str):
        raise TypeError("%s() argument must be a unicode character, not %s" % (function, type(chr).__name__))
    if len(chr) != 1:
        raise TypeError("%s() argument must be a unicode character, not str" % function)
    return ord(chr)


def combining(chr, /):
    """Returns the canonical combining class assigned to the character as integer."""
    return _combining(_code_point("combining", chr))


def east_asian_width(chr, /):
    """Returns the east asian width assigned to the character chr as string."""
    return _width(_code_point("east_asian_width", chr))


def mirrored(chr, /):
    """Returns the mirrored property assigned to the character chr as integer."""
    return _mirrored(_code_point("mirrored", chr))


def _valued(function, table, chr, default):
    value = table(_code_point(function, chr))
    if value is not None:
        return value
    if default is _NO_DEFAULT:
        raise ValueError(_NOT_FOUND[function])
    return default


def decimal(chr, default=_NO_DEFAULT, /):
    """Converts a Unicode character into its equivalent decimal value."""
    return _valued("decimal", _decimal, chr, default)


def digit(chr, default=_NO_DEFAULT, /):
    """Converts a Unicode character into its equivalent digit value."""
    return _valued("digit", _digit, chr, default)


def numeric(chr, default=_NO_DEFAULT, /):
    """Converts a Unicode character into its equivalent numeric value."""
    return _valued("numeric", _numeric, chr, default)


def decomposition(chr, /):
    """Returns the character decomposition mapping assigned to the character chr as string."""
    cp = _code_point("decomposition", chr)
    from _cordon_graalpy.unicode_decompositions import DECOMPOSITIONS
    return DECOMPOSITIONS.get(cp, "")


def lookup(name, /):
    """Look up character by name."""
    if not isinstance(name, str):
        raise TypeError("lookup() argument must be str, not %s" % type(name).__name__)
    found = None
    if name and len(name) <= 256 and "}" not in name and "\\" not in name and name.isascii():
        try:
            found = ("\\N{" + name + "}").encode("ascii").decode("unicode_escape")
        except UnicodeError:
            found = None
        if found is not None and len(found) == 2 and found[1] == "}":
            found = found[0]  # GraalPy 25.0.3 keeps the closing brace of a \N{...} escape
    if found is None or len(found) != 1:
        raise KeyError("undefined character name '%s'" % name)
    return found


def install(unicodedata):
    """Puts the missing functions and the 3.2 database on GraalPy's unicodedata module."""
    current = {name: getattr(unicodedata, name) for name in
               ("category", "bidirectional", "name", "normalize", "is_normalized")}
    functions = {"combining": combining, "east_asian_width": east_asian_width, "mirrored": mirrored,
                 "decimal": decimal, "digit": digit, "numeric": numeric, "decomposition": decomposition}

    class UCD(object):
        """A Unicode database of an older version: ucd_3_2_0, as stringprep and idna use it."""
        __slots__ = ()
        unidata_version = "3.2.0"

        @staticmethod
        def _assigned(function, chr):
            return _assigned_3_2(_code_point(function, chr))

        def category(self, chr, /):
            return current["category"](chr) if self._assigned("category", chr) else "Cn"

        def bidirectional(self, chr, /):
            return current["bidirectional"](chr) if self._assigned("bidirectional", chr) else ""

        def decomposition(self, chr, /):
            return decomposition(chr) if self._assigned("decomposition", chr) else ""

        def mirrored(self, chr, /):
            return mirrored(chr) if self._assigned("mirrored", chr) else 0

        def combining(self, chr, /):
            return combining(chr) if self._assigned("combining", chr) else 0

        def east_asian_width(self, chr, /):
            return east_asian_width(chr) if self._assigned("east_asian_width", chr) else "N"

        def _valued(self, function, chr, default):
            if self._assigned(function, chr):
                answer = functions.get(function) or current[function]
                return answer(chr) if default is _NO_DEFAULT else answer(chr, default)
            if default is _NO_DEFAULT:
                raise ValueError(_NOT_FOUND[function])
            return default

        def decimal(self, chr, default=_NO_DEFAULT, /):
            return self._valued("decimal", chr, default)

        def digit(self, chr, default=_NO_DEFAULT, /):
            return self._valued("digit", chr, default)

        def numeric(self, chr, default=_NO_DEFAULT, /):
            return self._valued("numeric", chr, default)

        def name(self, chr, default=_NO_DEFAULT, /):
            return self._valued("name", chr, default)

        def lookup(self, name, /):
            found = lookup(name)
            if not _assigned_3_2(ord(found)):
                raise KeyError("undefined character name '%s'" % name)
            return found

        def normalize(self, form, unistr, /):
            return current["normalize"](form, unistr)

        def is_normalized(self, form, unistr, /):
            return current["is_normalized"](form, unistr)

    UCD.__module__ = "unicodedata"
    functions["lookup"] = lookup
    for name, function in functions.items():
        function.__module__ = "unicodedata"
        setattr(unicodedata, name, function)
    unicodedata.UCD = UCD
    unicodedata.ucd_3_2_0 = UCD()
    unicodedata.unidata_version = _tables.UNIDATA_VERSION

