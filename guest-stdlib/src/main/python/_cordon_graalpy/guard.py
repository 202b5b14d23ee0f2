"""Refuses, before they start, the operations that GraalPy cannot interrupt once they have begun.

A builtin such as ``[0] * 10**9``, ``10 ** (10**8)`` or ``sorted(range(10**8))`` runs as one step
inside the interpreter: the call's deadline cannot stop it, and it can fill the heap that every
tenant shares before its result is known. Cordon therefore compiles guest code from a rewritten
syntax tree in which each operation that can produce an unbounded result in one step first asks
whether the result would fit:

* ``a * b``, ``a ** b``, ``a << b`` and their augmented forms go through ``__cordon_mul__``,
  ``__cordon_pow__`` and ``__cordon_lshift__`` (and ``__cordon_imul__``...), which check the size
  of a sequence repeat against the call's memory limit and the size of an integer result against
  ``INT_BITS``, the largest integer whose multiplication still ends within the governor's slack;
* the argument of a call that materialises an iterable in one step (``list``, ``tuple``, ``set``,
  ``frozenset``, ``sorted``, ``bytes``, ``bytearray``, ``dict.fromkeys``, ``str.join`` and the
  padding methods, ``*iterable`` in displays and calls) goes through ``__cordon_sized__``, which
  refuses a huge ``range``, an unbounded ``itertools`` iterator or a huge size;
* ``sorted``, ``pow``, ``math.factorial``/``comb``/``perm`` and the ``operator`` functions are
  replaced by checked versions, and ``compile``, ``exec`` and ``eval`` rewrite the code they are
  given in the same way;
* every ``except`` clause's type is ``__cordon_stopped__(type)``: GraalPy's cancellation can surface as a
  RecursionError that guest code catches and recurses again, so once the call's wall time is over,
  its handlers raise ``CallStopped`` instead of running. The check is pure Python (a clock read):
  a call into the host at the deepest level of a recursion would overflow the host's stack.

A refusal is a ``MemoryError`` raised before anything is allocated, so the guest can catch it and
the process never sees the allocation. A count that comes from ``__index__`` (guest code, which may
answer differently each time) is read once and that int is what the operation gets. Everything else
runs unchanged. The price: in a function, a product tests whether an operand is exactly a float and
then multiplies inline (numeric code stays call-free); elsewhere, and for powers and shifts of values
held in variables, a call per operation (docs/performance.md). What this cannot see (a dunder method fetched
with ``getattr`` from a string, a guest that rebinds the ``__cordon_*`` builtins by a computed
name) is still bounded by the governor: a result at the deadline, the heap guard, admission control.
"""

# The builtin _ast, not the ast module: ast imports enum, re and contextlib, which every fresh context
# would then execute before its first line of guest code; the guard needs only the node classes.
import _ast as ast
import builtins
import marshal
import sys
from _io import open as _open
from _operator import index as _index
from _collections import deque as _deque

# The largest integer result, in bits, of a multiplication or power. Java's BigInteger squares a
# 2**20-bit number in well under 100 ms on the machines Cordon is measured on; a number twice that
# size takes four times as long and can no longer be stopped on time.
INT_BITS = 1 << 20
# Sizes below this are never checked: the common case costs two comparisons.
_SMALL = 1 << 16

# The bytes one operation may produce at once: set for each call from its memory limit.
_limit = [1 << 30]
# When the call's wall time is over: on the host's monotonic clock (seconds), and, about then, on the wall
# clock (milliseconds); handlers refuse to run after it.
_deadline = [float("inf"), float("inf")]
# The host's monotonic clock in seconds, given by install(). Importing time would bring GraalPy's
# _polyglot_time and polyglot modules into every context, whose code is compiled anew in each
# (docs/performance-log.md).
_monotonic = None
# The wall clock in milliseconds, a builtin of GraalPy's: read by every except clause first, because a call into
# the host at the bottom of a recursion's stack can overflow the host's own stack, which ends the call as a
# host fault instead of the guest's RecursionError (a builtin's overflow is a RecursionError like any other).
# The host's clock is asked only once the wall clock says the time is over, so that a change of the wall clock
# never stops a call early.
_wall_ms = None

_compile = builtins.compile
_exec = builtins.exec
_eval = builtins.eval
_int = int
_float = float
_str = str
_bytes = bytes
_bytearray = bytearray
_list = list
_tuple = tuple
_range = range
_type = type
_len = len
_isinstance = isinstance
_issubclass = issubclass
_id = id
_sys = sys
_bool = bool
# A class's real method resolution order and own namespace, read past any metaclass that overrides them.
_mro_of = type.__dict__["__mro__"].__get__
_dict_of = type.__dict__["__dict__"].__get__
# The builtin sequences whose repeat allocates at once, with the bytes each item takes at least.
_REPEATED = ((_str, 1), (_bytes, 1), (_bytearray, 1), (_list, 4), (_tuple, 4), (_deque, 4))


def _copy_location(new, old):
    """new, with the source position of old (what ast.copy_location does)."""
    for name in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if name in old._attributes and name in new._attributes:
            value = getattr(old, name, None)
            if value is not None or name.startswith("end_") and hasattr(old, name):
                setattr(new, name, value)
    return new


def set_limits(n, seconds):
    """Sets, for the current call, the bytes one operation may produce at once and its wall time."""
    _limit[0] = n
    _deadline[0] = _monotonic() + seconds
    _deadline[1] = _wall_ms() + seconds * 1000


def _refuse(what, size):
    raise MemoryError("%s would need about %s at once, more than the %s this call may use"
                      " (refused before it started)" % (what, _human(size), _human(_limit[0])))


def _refuse_int(what, bits):
    raise MemoryError("%s has about %d bits; integer results over %d bits are refused in the sandbox,"
                      " because computing them cannot be interrupted" % (what, bits, INT_BITS))


def _human(n):
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return "%d %s" % (n, unit) if unit == "bytes" else "%.1f %s" % (n, unit)
        n /= 1024.0


def _item_size(seq):
    t = _type(seq)
    for base, size in _REPEATED:
        if _isinstance(seq, base):
            # A subclass repeats as its base does unless a class of its own defines the operator.
            return size if t is base or _repeats_as(t, base) else 0
    size = getattr(seq, "itemsize", None)
    if _type(size) is _int:
        return size
    return 0


def _repeats_as(t, base):
    for k in _mro_of(t):
        if k is base:
            return True
        own = _dict_of(k)
        if "__mul__" in own or "__rmul__" in own or "__imul__" in own:
            return False
    return False


def _length(seq):
    """The length of a sequence the way its builtin base counts it: a subclass's __len__ may say anything."""
    for base, _ in _REPEATED:
        if _isinstance(seq, base):
            return base.__len__(seq)
    return _len(seq)


def _check_repeat(seq, n):
    if n <= _SMALL:
        return
    size = _item_size(seq)
    if size:
        total = _length(seq) * size * n
        if total > _limit[0]:
            _refuse("repeating a %s %d times" % (_type(seq).__name__, n), total)


def _check_int_product(a, b):
    bits = a.bit_length() + b.bit_length()
    if bits > INT_BITS:
        _refuse_int("the product", bits)


def _count(n):
    """n as the int a repeat or a size would use, if n is no int but has __index__; else n itself.

    A builtin sequence repeats by the result of __index__, which guest code defines and may change from one
    call to the next: the count is therefore taken once, checked, and that int is what is multiplied.
    """
    if _isinstance(n, _int) or getattr(_type(n), "__index__", None) is None:
        return n
    return _int.__index__(_index(n))


def _operands(a, b):
    """The operands of a product, checked: a sequence repeat over the call's limit or an integer product over
    INT_BITS is refused; a count given by __index__ is replaced by its value (see _count)."""
    if _item_size(a):
        b = _count(b)
    elif _item_size(b):
        a = _count(a)
    if _isinstance(b, _int) and not _isinstance(b, _bool):
        if _isinstance(a, _int):
            _check_int_product(a, b)
        else:
            _check_repeat(a, b)
    elif _isinstance(a, _int) and not _isinstance(a, _bool):
        _check_repeat(b, a)
    return a, b


def mul(a, b):
    if _type(a) is _float or _type(b) is _float:
        return a * b
    if _type(a) is _int and _type(b) is _int:
        if (a > _SMALL or a < -_SMALL) and (b > _SMALL or b < -_SMALL):
            _check_int_product(a, b)
        return a * b
    a, b = _operands(a, b)
    return a * b


def imul(a, b):
    if _type(a) is _float or _type(b) is _float:
        a *= b
        return a
    a, b = _operands(a, b)
    a *= b
    return a


def _check_pow(a, b):
    if _isinstance(a, _int) and _isinstance(b, _int) and b > 1 and (a > 1 or a < -1):
        bits = (a.bit_length() - 1) * b
        if bits > INT_BITS:
            _refuse_int("the power", bits)


def pow_(a, b):
    if _type(a) is _float or _type(b) is _float:
        return a ** b
    _check_pow(a, b)
    return a ** b


def ipow(a, b):
    _check_pow(a, b)
    a **= b
    return a


def _check_shift(a, b):
    if _isinstance(a, _int) and _isinstance(b, _int) and b > _SMALL and a:
        bits = a.bit_length() + b
        if bits // 8 > _limit[0] or bits > 1 << 31:
            _refuse("an integer shift of %d bits" % bits, bits // 8)


def lshift(a, b):
    _check_shift(a, b)
    return a << b


def ilshift(a, b):
    _check_shift(a, b)
    a <<= b
    return a


def _unbounded(x):
    """The number of items an iterator of itertools will yield, -1 if endless, None if unknown."""
    t = _type(x)
    if getattr(t, "__module__", None) != "itertools":
        return None
    name = t.__name__
    if name == "count":
        return -1
    if name == "cycle":
        return 0 if _cycles_nothing(x) else -1
    if name == "repeat":
        try:
            return x.__length_hint__()
        except TypeError:
            return -1
    return None


def _cycles_nothing(c):
    """Whether an itertools.cycle has nothing to repeat: nothing saved, and an iterable known to be exhausted
    (list(cycle('')) is [] on CPython; a cycle over anything else is endless)."""
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, (iterable,), (saved, _) = c.__reduce__()
        from operator import length_hint
        return not saved and length_hint(iterable, -1) == 0
    except Exception:
        return False


def sized(x):
    """Returns x, after refusing it if materialising it would need more than the call may use."""
    t = _type(x)
    if _isinstance(x, _int):
        if x > _limit[0]:
            _refuse("an object of %d bytes" % x, x)
    elif t is _range:
        n = _range_length(x)
        if n > _SMALL and n * 4 > _limit[0]:
            _refuse("a sequence of %d items" % n, n * 4)
    elif t is not _list and t is not _tuple and t is not _str:
        n = _unbounded(x)
        if n is not None and n < 0:
            raise MemoryError("itertools.%s is endless: materialising it would never end"
                              " (refused before it started)" % t.__name__)
        if n is not None and n * 4 > _limit[0]:
            _refuse("a sequence of %d items" % n, n * 4)
    return x


def size(x):
    """sized(x) for an argument that is a size when it has __index__ (bytearray(n), 'x'.ljust(n)).

    The builtin would read __index__ itself, and guest code may answer differently each time: the size is
    read once, checked, and that int is what the builtin gets.
    """
    return sized(_count(x))


def bytes_size(x):
    """size(x) for bytes(x), which asks __bytes__ before __index__."""
    return x if getattr(_type(x), "__bytes__", None) is not None else size(x)


def _range_length(r):
    """The length of a range, computed: GraalPy's len() of a range stops at 2**31."""
    if r.step > 0:
        return 0 if r.stop <= r.start else (r.stop - r.start + r.step - 1) // r.step
    return 0 if r.stop >= r.start else (r.start - r.stop - r.step - 1) // -r.step


def _digits_over(spec, limit):
    """The largest run of digits in a format spec (a width or a precision), if over limit; else None."""
    largest = 0
    run = 0
    for ch in spec:
        if "0" <= ch <= "9":
            run = run * 10 + (ord(ch) - 48)
            if run > limit:
                return run
        else:
            largest = run if run > largest else largest
            run = 0
    return None


def _check_spec(spec):
    """Refuses a format spec whose width or precision would produce more than the call may use at once."""
    if _type(spec) is _str and _len(spec) > 2:
        n = _digits_over(spec, _limit[0])
        if n is not None:
            _refuse("a format width or precision of %d" % n, n)


def _check_mod_format(fmt, args):
    """Refuses %-formatting whose widths or precisions (written or given by *) are over the call's limit."""
    if not _isinstance(fmt, (_str, _bytes, _bytearray)):
        return
    text = fmt if _isinstance(fmt, _str) else _bytes(fmt).decode("latin-1")
    if "%" not in text:
        return
    values = args if _type(args) is _tuple else (args,)
    used = 0
    i = 0
    n = _len(text)
    limit = _limit[0]
    while i < n:
        if text[i] != "%":
            i += 1
            continue
        i += 1
        if i < n and text[i] == "%":
            i += 1
            continue
        if i < n and text[i] == "(":
            close = text.find(")", i)
            i = n if close < 0 else close + 1
        while i < n and text[i] in "#0- +":
            i += 1
        for part in ("width", "precision"):
            if part == "precision":
                if i < n and text[i] == ".":
                    i += 1
                else:
                    break
            if i < n and text[i] == "*":
                value = values[used] if used < _len(values) else 0
                used += 1
                i += 1
                if _isinstance(value, _int) and value > limit:
                    _refuse("a %%-format %s of %d" % (part, value), value)
            else:
                start = i
                while i < n and "0" <= text[i] <= "9":
                    i += 1
                if i - start > 9 or (i > start and _int(text[start:i]) > limit):
                    _refuse("a %%-format %s of %s" % (part, text[start:i]), limit + 1)
        used += 1
        i += 1


def mod(a, b):
    """a % b, with a string's %-format checked first (numbers never get here from a function's body)."""
    if _type(a) is not _int and _type(a) is not _float:
        _check_mod_format(a, b)
    return a % b


def formatted(value, spec, conversion):
    """The text of an f-string's replacement field whose spec was not known to be small: the conversion
    (!s, !r, !a) applied, the spec checked, then formatted."""
    if conversion == 115:
        value = _str(value)
    elif conversion == 114:
        value = repr(value)
    elif conversion == 97:
        value = ascii(value)
    _check_spec(spec)
    return format(value, spec)


def _check_str_format(fmt, args, kwargs, mapping=None):
    """Refuses str.format (or format_map, with mapping) whose specs, their nested fields filled in, are over
    the call's limit."""
    if not _isinstance(fmt, _str) or "{" not in fmt:
        return
    import _string
    for literal, field, spec, conversion in _string.formatter_parser(fmt):
        if spec:
            if "{" in spec:
                spec = _str.format_map(spec, mapping) if mapping is not None else _str.format(spec, *args, **kwargs)
            _check_spec(spec)


def _result_of_replace(s, args):
    if _len(args) >= 2 and _isinstance(args[0], (_str, _bytes, _bytearray)):
        old, new = args[0], args[1]
        count = args[2] if _len(args) > 2 and _isinstance(args[2], _int) and args[2] >= 0 else -1
        if _isinstance(new, (_str, _bytes, _bytearray)) and _len(new) > _len(old):
            hits = s.count(old) if _len(old) else _len(s) + 1
            if count >= 0:
                hits = min(hits, count)
            total = _len(s) + hits * (_len(new) - _len(old))
            if total > _limit[0]:
                _refuse("replace() making %d characters" % total, total)


def _result_of_expandtabs(s, args, kwargs):
    tab = args[0] if args else kwargs.get("tabsize", 8)
    if _isinstance(tab, _int) and tab > 1:
        tabs = s.count("\t" if _isinstance(s, _str) else b"\t")
        total = _len(s) + tabs * tab
        if total > _limit[0]:
            _refuse("expandtabs(%d) making %d characters" % (tab, total), total)


def _result_of_join(sep, items):
    """The items of a join, as a list, after refusing it if the joined result is over the call's limit: the
    real size of the items counts, not only their number."""
    if _type(items) is not _list and _type(items) is not _tuple:
        items = _list(sized(items))
    total = _len(sep) * max(0, _len(items) - 1)
    limit = _limit[0]
    for item in items:
        if _isinstance(item, (_str, _bytes, _bytearray)):
            total += _len(item)
            if total > limit:
                _refuse("a join of %d items" % _len(items), total)
    return items


_TEXTS = (_str, _bytes, _bytearray)


def _operator_check(name, a, b):
    """The check of an operator's dunder method called by name: a is the instance, b the other operand."""
    if name in ("__mul__", "__imul__"):
        _operands(a, b)
    elif name == "__rmul__":
        _operands(b, a)
    elif name in ("__pow__", "__ipow__"):
        _check_pow(a, b)
    elif name == "__rpow__":
        _check_pow(b, a)
    elif name in ("__lshift__", "__ilshift__"):
        _check_shift(a, b)
    elif name == "__rlshift__":
        _check_shift(b, a)
    elif name == "__mod__":
        _check_mod_format(a, b)
    elif name == "__rmod__":
        _check_mod_format(b, a)
    elif name == "__format__":
        _check_spec(b)


def method(obj, name, *args, **kwargs):
    """obj.name(*args, **kwargs), the call checked first when it could make more than the call may use in one
    uninterruptible step: an operator's dunder method called by name (on an instance, or on a class with the
    instance as first argument), str.format, replace, expandtabs, join, int.to_bytes."""
    f = getattr(obj, name)
    if name in _OPERATOR_DUNDERS:
        if _isinstance(obj, _type):
            if _len(args) >= 2:
                _operator_check(name, args[0], args[1])
        elif args:
            _operator_check(name, obj, args[0])
    elif _isinstance(obj, _TEXTS):
        if name == "join" and args:
            args = (_result_of_join(obj, args[0]),) + args[1:]
        elif name == "replace":
            _result_of_replace(obj, args)
        elif name == "expandtabs":
            _result_of_expandtabs(obj, args, kwargs)
        elif name == "format":
            _check_str_format(obj, args, kwargs)
        elif name == "format_map" and args:
            _check_str_format(obj, (), {}, args[0])
    elif name == "to_bytes" and _isinstance(obj, _int):
        n = args[0] if args else kwargs.get("length", 1)
        sized(_count(n))
    elif name == "buffer_info":
        return _buffer_info(obj, f, args, kwargs)
    return f(*args, **kwargs)


def _buffer_info(obj, f, args, kwargs):
    """array.buffer_info() without the native address GraalPy would fetch (which costs the interpreter): an
    address that stands for the array's buffer, and its length, as CPython gives them."""
    array = _sys.modules.get("array")
    kind = array.array if array is not None else None
    if kind is not None and _isinstance(obj, _type) and _issubclass(obj, kind) and args and _isinstance(args[0], kind):
        obj, args = args[0], args[1:]
    elif kind is None or not _isinstance(obj, kind):
        return f(*args, **kwargs)
    if args or kwargs:
        raise TypeError("array.buffer_info() takes no arguments (%d given)" % (_len(args) + _len(kwargs)))
    return (_id(obj), _len(obj))


_OPERATOR_DUNDERS = frozenset(("__mul__", "__rmul__", "__imul__", "__pow__", "__rpow__", "__ipow__",
                               "__lshift__", "__rlshift__", "__ilshift__", "__mod__", "__rmod__", "__format__"))
# Methods whose calls go through method(): what they produce is sized by their arguments' contents.
_CHECKED_METHODS = _OPERATOR_DUNDERS | frozenset(("join", "replace", "expandtabs", "format", "format_map",
                                                  "to_bytes", "buffer_info"))
# The f-string prefixes: an f-string's replacement fields can carry a width.
_FSTRING_PREFIXES = tuple(p + q for p in ("f", "F", "fr", "fR", "Fr", "FR", "rf", "rF", "Rf", "RF")
                          for q in ("'", '"'))


# Calls by name whose first argument is materialised in one step, and methods likewise.
_SIZED_CALLS = frozenset(("list", "tuple", "set", "frozenset", "sorted", "bytes", "bytearray"))
_SIZED_METHODS = frozenset(("join", "fromkeys", "ljust", "rjust", "center", "zfill", "extend", "update",
                            "union", "intersection", "difference"))
# Where the first argument may be a size given by __index__ rather than an iterable.
_SIZE_CHECKS = {"bytes": "__cordon_bytes_size__", "bytearray": "__cordon_size__", "ljust": "__cordon_size__",
                "rjust": "__cordon_size__", "center": "__cordon_size__", "zfill": "__cordon_size__"}
_BINOPS = {ast.Mult: "__cordon_mul__", ast.Pow: "__cordon_pow__", ast.LShift: "__cordon_lshift__",
           ast.Mod: "__cordon_mod__"}
_AUGOPS = {ast.Mult: "__cordon_imul__", ast.Pow: "__cordon_ipow__", ast.LShift: "__cordon_ilshift__"}
# A source without any of these has nothing to rewrite (the host checks the same list).
TRIGGERS = ("*", "<<", "%") + tuple(sorted(_SIZED_CALLS | _SIZED_METHODS | _CHECKED_METHODS | {"__cordon", "except"})) \
    + _FSTRING_PREFIXES


def _call(name, node, *args):
    return _copy_location(ast.Call(func=_copy_location(ast.Name(id=name, ctx=ast.Load()), node),
                                      args=list(args), keywords=[]), node)


def _load(target):
    """The target of an augmented assignment, read; None if reading it twice could differ from reading it once."""
    if _isinstance(target, ast.Name):
        return _copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
    if _isinstance(target, ast.Attribute) and _isinstance(target.value, ast.Name):
        return _copy_location(ast.Attribute(value=target.value, attr=target.attr, ctx=ast.Load()), target)
    if (_isinstance(target, ast.Subscript) and _isinstance(target.value, ast.Name)
            and _isinstance(target.slice, (ast.Name, ast.Constant))):
        return _copy_location(ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), target)
    return None


# Deeper syntax trees are refused, as CPython refuses them during compilation: GraalPy's compiler takes
# seconds, uninterruptibly, over a tree a few thousand levels deep.
MAX_DEPTH = 1000


def _name(id, node, store=False):
    return _copy_location(ast.Name(id=id, ctx=ast.Store() if store else ast.Load()), node)


def _float_first(name, node, left, right, temps):
    """A product whose float case needs no call: the operands are evaluated once, in order, into two locals
    of the function; if either is exactly a float the product is computed as written, otherwise the check
    is called. A call per product of floats was what numeric code paid for the guard: the JIT inlines so
    many calls in a loop no further, and each then boxes its arguments.

    Only type(x) is float is tested: the product of an exact float is a float (or a TypeError), whatever the
    other operand, while a subclass of float could define __index__ and repeat a sequence.
    """
    def is_float(temp, value):
        assign = _copy_location(ast.NamedExpr(target=_name(temp, node, True), value=value), node)
        return _copy_location(ast.Compare(left=_call("__cordon_type__", node, assign), ops=[ast.Is()],
                                             comparators=[_name("__cordon_float__", node)]), node)

    tests = []
    operands = []
    for value in (left, right):
        if _type(value) is ast.Constant:
            # A literal (an int or a string: a float literal leaves the product as written) is no float.
            operands.append(value)
        else:
            temp = "__cordon_%d__" % temps[0]
            temps[0] += 1
            tests.append(is_float(temp, value))
            operands.append(_name(temp, node))
    # | rather than "or": both operands must be evaluated whatever the first one is.
    test = tests[0] if _len(tests) == 1 else _copy_location(ast.BinOp(left=tests[0], op=ast.BitOr(),
                                                                          right=tests[1]), node)
    product = _copy_location(ast.BinOp(left=operands[0], op=ast.Mult(), right=operands[1]), node)
    return _copy_location(ast.IfExp(test=test, body=product, orelse=_call(name, node, *operands)), node)


def _replacement(node, inline, temps):
    """What a node becomes in the guarded tree, its children already guarded; None if it stays.

    inline: whether the node is evaluated in a function's own scope, where the rewritten code may bind
    locals of its own (temps counts them).
    """
    t = _type(node)
    if t is ast.BinOp:
        name = _BINOPS.get(_type(node.op))
        if not name or _statically_small(node):
            return None
        if inline and name == "__cordon_mul__" and not (_type(node.left) is ast.Constant is _type(node.right)):
            return _float_first(name, node, node.left, node.right, temps)
        if inline and name == "__cordon_mod__":
            return _number_first(node, temps)
        return _call(name, node, node.left, node.right)
    if t is ast.FormattedValue and node.format_spec is not None and not _small_spec(node.format_spec):
        value = _call("__cordon_formatted__", node, node.value, node.format_spec,
                      _copy_location(ast.Constant(value=node.conversion), node))
        return _copy_location(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)
    if t is ast.AugAssign:
        name = _AUGOPS.get(_type(node.op))
        # A target whose reading could have side effects (x[f()] *= n) keeps its single evaluation.
        read = _load(node.target) if name else None
        if read is None:
            return None
        if inline and name == "__cordon_imul__":
            # x *= y of floats is x = x * y; anything else keeps its in-place multiplication (list *= n).
            value = _float_first(name, node, read, node.value, temps)
        else:
            value = _call(name, node, read, node.value)
        return _copy_location(ast.Assign(targets=[node.target], value=value), node)
    if t is ast.Call:
        f = node.func
        if (node.args and _type(node.args[0]) is not ast.Starred
                and (_type(f) is ast.Name and f.id in _SIZED_CALLS
                     or _type(f) is ast.Attribute and f.attr in _SIZED_METHODS)):
            name = f.id if _type(f) is ast.Name else f.attr
            node.args[0] = _call(_SIZE_CHECKS.get(name, "__cordon_sized__"), node.args[0], node.args[0])
        if _type(f) is ast.Attribute and f.attr in _CHECKED_METHODS:
            return _copy_location(ast.Call(func=_name("__cordon_method__", node),
                                           args=[f.value, _copy_location(ast.Constant(value=f.attr), node)] + node.args,
                                           keywords=node.keywords), node)
    elif t is ast.Starred and _type(node.ctx) is ast.Load:
        node.value = _call("__cordon_sized__", node.value, node.value)
    elif t is ast.ExceptHandler:
        # GraalPy's cancellation can turn into a RecursionError that a handler catches; so each except clause
        # asks whether the call's time is over before it matches: except E becomes except
        # __cordon_stopped__(E), a bare except, except __cordon_stopped__() (BaseException). In the clause's
        # header, not as the body's first statement, so that the text writer can write it on the clause's own
        # line whatever the body begins with (an if cannot follow a statement on its line). A bare except's
        # check has no text of its own to replace: it is placed, with no width, right after the keyword.
        if node.type is not None:
            node.type = _call("__cordon_stopped__", node.type, node.type)
        else:
            check = _call("__cordon_stopped__", node)
            check.func.col_offset = check.col_offset = check.func.end_col_offset = check.end_col_offset = \
                node.col_offset + _len("except")
            check.func.end_lineno = check.end_lineno = node.lineno
            node.type = check
    return None


def _number_first(node, temps):
    """a % b in a function: the left operand is evaluated once into a local; if it is exactly an int or a
    float the remainder is computed as written, otherwise (a string's %-format) the check is called."""
    temp = "__cordon_%d__" % temps[0]
    temps[0] += 1
    assign = _copy_location(ast.NamedExpr(target=_name(temp, node, True), value=node.left), node)
    test = _copy_location(ast.Compare(left=_call("__cordon_type__", node, assign), ops=[ast.In()],
                                      comparators=[_name("__cordon_numbers__", node)]), node)
    body = _copy_location(ast.BinOp(left=_name(temp, node), op=ast.Mod(), right=node.right), node)
    return _copy_location(ast.IfExp(test=test, body=body,
                                    orelse=_call("__cordon_mod__", node, _name(temp, node), node.right)), node)


def _small_spec(spec):
    """Whether an f-string's format spec is literal text with no width or precision over the unchecked size."""
    for part in spec.values:
        if _type(part) is not ast.Constant or _type(part.value) is not _str:
            return False
        if _digits_over(part.value, _SMALL) is not None:
            return False
    return True


def _constant(node):
    """(True, value) for a literal number, string or bytes (a negative number too), else (False, None)."""
    if _type(node) is ast.Constant:
        return True, node.value
    if (_type(node) is ast.UnaryOp and _type(node.op) is ast.USub and _type(node.operand) is ast.Constant
            and _type(node.operand.value) in (_int, _float)):
        return True, -node.operand.value
    return False, None


def _statically_small(node):
    """Whether a product, power or shift is known to be small from the source alone: it then stays as written,
    so that literal arithmetic ('-' * 40, 2 ** 16, x * 0.5) costs nothing and GraalPy can fold it."""
    left_known, left = _constant(node.left)
    right_known, right = _constant(node.right)
    if _type(node.op) is ast.Mod:
        # Only the left operand decides: a number's remainder, or a literal format with no * and no large width.
        if not left_known:
            return False
        if _type(left) in (_int, _float):
            return True
        if _type(left) in (_str, _bytes):
            text = left if _type(left) is _str else left.decode("latin-1")
            return "*" not in text and _digits_over(text, _SMALL) is None
        return False
    if _type(node.op) is not ast.LShift and (left_known and _type(left) is _float or right_known and _type(right) is _float):
        return True
    if not (left_known and right_known):
        return False
    op = _type(node.op)
    if op is ast.Mult:
        if _type(left) is _int and _type(right) is _int:
            return left.bit_length() + right.bit_length() <= _SMALL
        n, seq = (left, right) if _type(left) is _int else (right, left)
        return _type(n) is _int and _type(seq) in (_str, _bytes) and _len(seq) * n <= _SMALL
    if op is ast.Pow:
        return _type(left) is _int and _type(right) is _int and (left.bit_length() - 1) * right <= _SMALL
    return _type(left) is _int and _type(right) is _int and right <= _SMALL


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp)
# Parts of a definition evaluated outside the function, or never: an assignment expression is refused there
# (annotations, type parameters) or would bind a name of the enclosing scope (defaults, decorators).
_NOT_OWN_SCOPE = frozenset(("annotation", "returns", "type_params"))
_TYPE_ALIAS = getattr(ast, "TypeAlias", None)


# The nodes whose fields _child_inline decides; every other node's children inherit the node's answer.
_SCOPES = frozenset(t for t in _FUNCTIONS + (ast.ClassDef, ast.arguments, ast.arg, ast.AnnAssign, ast.GeneratorExp,
                                            ast.comprehension, _TYPE_ALIAS) if t is not None)


def _child_inline(t, field, inline):
    """Whether the field of a node of type t is evaluated in a function's own scope (see _replacement):
    True or False, or None where no assignment expression may appear at any depth.

    A function's body is; a class body or a module is not (there, a name could be read through a mapping
    that runs guest code, and a bound local would show among the class's attributes or the globals). In a
    list, set or dict comprehension, the element is (its locals are the function's) but not the iterables,
    where Python refuses assignment expressions even inside a lambda; annotations and type parameters are
    refused the same way. A generator expression is not: two generators made by one expression in one
    frame would share its locals while both run.
    """
    if inline is None or field in _NOT_OWN_SCOPE or t is _TYPE_ALIAS or t is ast.comprehension and field == "iter":
        return None
    if t in _FUNCTIONS:
        return field == "body" or inline
    if t is ast.ClassDef:
        return inline and field != "body"
    if t is ast.arguments:
        return inline and field in ("defaults", "kw_defaults")
    if t is ast.GeneratorExp:
        return False
    return inline


def rewrite(tree):
    """The guarded form of a syntax tree (the tree is changed in place).

    Iterative rather than recursive, so that a deep expression costs no Python stack: the nodes are listed
    parents first, then rewritten children first.
    """
    order = []
    stack = [(tree, 0, False)]
    while stack:
        node, depth, inline = stack.pop()
        if depth > MAX_DEPTH:
            raise RecursionError("maximum recursion depth exceeded during compilation")
        t = _type(node)
        if t is ast.Name and node.id.startswith("__cordon") or t is ast.Attribute and node.attr.startswith("__cordon"):
            _reserved(node)
        order.append((node, inline))
        scoped = t in _SCOPES
        for field in node._fields:
            value = getattr(node, field, None)
            child = _child_inline(t, field, inline) if scoped else inline
            if _type(value) is _list:
                for item in value:
                    if _isinstance(item, ast.AST):
                        stack.append((item, depth + 1, child))
            elif _isinstance(value, ast.AST):
                stack.append((value, depth + 1, child))
    replaced = {}
    temps = [0]
    for node, inline in reversed(order):
        if replaced:
            for field in node._fields:
                value = getattr(node, field, None)
                if _type(value) is _list:
                    for i, item in enumerate(value):
                        r = replaced.get(id(item))
                        if r is not None:
                            value[i] = r
                else:
                    r = replaced.get(id(value))
                    if r is not None:
                        setattr(node, field, r)
        r = _replacement(node, inline, temps)
        if r is not None:
            replaced[id(node)] = r
    return tree


def _reserved(node):
    err = SyntaxError("names beginning with __cordon are reserved by the sandbox")
    err.lineno = getattr(node, "lineno", None)
    err.offset = getattr(node, "col_offset", -1) + 1
    raise err


# The most digits an int may be converted to or from text with (CPython's default is 4300; 0 means none).
MAX_DIGITS = 100000

# GraalPy parses uninterruptibly; over this size a pathological source could keep its thread for seconds.
MAX_SOURCE = 1 << 20
# The read-only libraries of the sandbox: their own modules are compiled as written.
_TRUSTED = ("/usr/lib/graalpy/", "/usr/lib/cordon/")


def _is_library_module(source, filename):
    """Whether source is exactly a module file of the sandbox's read-only libraries (an import of the stdlib)."""
    if _type(filename) is not _str or not filename.startswith(_TRUSTED) or ".." in filename:
        return False
    try:
        with _open(filename, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return data == (source.encode("utf-8") if _type(source) is _str else _bytes(source))


def compile_guarded(source, filename, mode="exec", flags=0, dont_inherit=False, optimize=-1):
    """compile() of the guarded form of source (text, bytes or a syntax tree)."""
    if _isinstance(source, ast.AST):
        tree = source
    else:
        if _isinstance(source, (_str, _bytes, _bytearray)) and _len(source) > MAX_SOURCE:
            raise MemoryError("a source of %d characters is over the sandbox's limit of %d for code compiled"
                              " at once (refused before it started)" % (_len(source), MAX_SOURCE))
        if _is_library_module(source, filename):
            return _compile(source, filename, mode, flags, dont_inherit, optimize)
        text = _as_text(source) if mode == "exec" and not flags & ast.PyCF_ONLY_AST else None
        tree = _compile(source, filename, mode, flags | ast.PyCF_ONLY_AST, dont_inherit, optimize)
        if text is not None:
            # From its text where the rewrite can be written as text: GraalPy compiles a class with methods from
            # a syntax tree with an extra __classdictcell__ in its namespace, which typing.Protocol, for one,
            # takes for a member. From the tree otherwise.
            from _cordon_graalpy import guarded_text as _guarded_text
            before = _guarded_text.originals(tree)
            rewrite(tree)
            written = _guarded_text.write(text, before, tree, _compile, filename)
            if written is not None:
                return _compile(written, filename, mode, flags, dont_inherit, optimize)
            return _compile(tree, filename, mode, flags & ~ast.PyCF_ONLY_AST, dont_inherit, optimize)
    return _compile(rewrite(tree), filename, mode, flags & ~ast.PyCF_ONLY_AST, dont_inherit, optimize)


def _as_text(source):
    """A module's source as text, decoded as Python reads it (UTF-8 unless it declares another), or None."""
    if _type(source) is _str:
        return source
    if _type(source) is not _bytes:
        return None
    encoding = "utf-8"
    if source.startswith(b"\xef\xbb\xbf"):
        source = source[3:]
    elif any(b"coding" in line for line in source.split(b"\n", 2)[:2]):
        try:
            import io
            import tokenize
            encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
        except (SyntaxError, LookupError):
            return None
    try:
        return source.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def program(source, filename):
    """The guarded form of a main program for the host to keep and run in other contexts: its text where
    _cordon_graalpy/guarded_text.py can write it (the host then evaluates it as a source, whose code the engine shares
    between contexts), else its code, marshalled (bytes)."""
    if _type(source) is not _str or _len(source) > MAX_SOURCE or _is_library_module(source, filename):
        return marshal.dumps(compile_guarded(source, filename, "exec", 0, True))
    tree = _compile(source, filename, "exec", ast.PyCF_ONLY_AST, True)
    from _cordon_graalpy import guarded_text as _guarded_text
    before = _guarded_text.originals(tree)
    rewrite(tree)
    text = _guarded_text.write(source, before, tree, _compile, filename)
    if text is not None:
        return text
    return marshal.dumps(_compile(tree, filename, "exec", 0, True))


# The code objects loaded in this context, by their marshalled form. A session runs the same program again
# and again: executing the same code object lets GraalPy reuse what it compiled for it, where a fresh object
# per run would be interpreted and compiled anew each time. One context only, so never across principals.
_loaded = {}
_LOADED_MAX = 64


def run_marshalled(data):
    """Runs marshalled guarded code in __main__ (the host's copy of the bytes, as Latin-1 text)."""
    code = _loaded.get(data)
    if code is None:
        code = marshal.loads(data.encode("latin-1"))
        if _len(_loaded) >= _LOADED_MAX:
            del _loaded[next(iter(_loaded))]
        _loaded[data] = code
    _exec(code, sys.modules["__main__"].__dict__)


def run(source, filename, mode):
    """Compiles source in its guarded form and runs it in __main__ ("exec", or "single" for a REPL line)."""
    _exec(compile_guarded(source, filename, mode, 0, True), sys.modules["__main__"].__dict__)


class CallStopped(BaseException):
    """Raised by every except clause of guest code once the call's wall time is over."""


def check_stopped(kind=BaseException):
    """What an except clause matches (BaseException for a bare except), unless the call's wall time is over."""
    if _wall_ms() > _deadline[1] and _monotonic() > _deadline[0]:
        raise CallStopped("the call's wall time is over")
    return kind


# Modules up to this size (characters) are asked of the host's shared forms first (SharedModules.java).
SHARED_MAX = 512 * 1024


def _shared_code(shared, source, filename):
    """The code of a module as the host's compiler context (which runs no guest code) compiles it, shared by every
    context that imports the same text under the same name; or None (the compiler context is busy or not booted
    yet), and this context compiles it itself. Only what importlib asks (exec, no flags, dont_inherit, default
    optimize). A module of the read-only libraries (the standard library) is asked for by its file alone: its text
    is the file's (_is_library_module), which the host reads itself; it is compiled as written and comes back as
    marshalled code, which this context loads in a fraction of a parse."""
    if _type(filename) is not _str or _type(source) not in (_str, _bytes):
        return None
    if _len(source) > SHARED_MAX:
        return None
    if filename.startswith(_TRUSTED):
        form = shared(filename, None)
    else:
        text = _as_text(source)
        if text is None:
            return None
        form = shared(filename, text)
    if form is None:
        return None
    form = _str(form)
    if form[:1] == "t":
        return _compile(form[1:], filename, "exec", 0, True)
    return marshal.loads(form[1:].encode("latin-1"))


def install(monotonic, shared=None):
    """Puts the checks where rewritten code finds them, and replaces the builtins that would bypass them.

    monotonic: the clock the wall-time checks read; shared: the host's shared module forms (_shared_code).
    """
    global _monotonic, _wall_ms
    _monotonic = monotonic
    import __graalpython__
    _wall_ms = __graalpython__.time_millis
    import math

    import operator
    import _operator

    checks = {"__cordon_mul__": mul, "__cordon_imul__": imul, "__cordon_pow__": pow_, "__cordon_ipow__": ipow,
              "__cordon_lshift__": lshift, "__cordon_ilshift__": ilshift, "__cordon_sized__": sized,
              "__cordon_size__": size, "__cordon_bytes_size__": bytes_size,
              "__cordon_stopped__": check_stopped, "__cordon_type__": _type, "__cordon_float__": _float,
              "__cordon_mod__": mod, "__cordon_numbers__": (_int, _float), "__cordon_method__": method,
              "__cordon_formatted__": formatted}
    for name, f in checks.items():
        setattr(builtins, name, f)

    def like(f, original, name):
        f.__name__ = f.__qualname__ = name or original.__name__
        f.__doc__ = original.__doc__
        f.__module__ = getattr(original, "__module__", None)
        return f

    def checked(original, check, name=None):
        def f(*args, **kwargs):
            check(*args)
            return original(*args, **kwargs)
        return like(f, original, name)

    def check_binary(check):
        return lambda a=None, b=None, *rest: check(a, b)

    def multiplying(original, name):
        def f(a, b, /):
            a, b = _operands(a, b)
            return original(a, b)
        return like(f, original, name)

    for module in (operator, _operator):
        for name in ("mul", "imul", "__mul__", "__imul__"):
            original = getattr(module, name, None)
            if original is not None:
                setattr(module, name, multiplying(original, name))
        for name, check in (("pow", _check_pow), ("ipow", _check_pow), ("__pow__", _check_pow),
                            ("lshift", _check_shift), ("ilshift", _check_shift), ("__lshift__", _check_shift),
                            ("mod", _check_mod_format), ("imod", _check_mod_format), ("__mod__", _check_mod_format)):
            original = getattr(module, name, None)
            if original is not None:
                setattr(module, name, checked(original, check_binary(check), name))

    original_pow = builtins.pow

    def pow(base, exp, mod=None):
        if mod is None:
            _check_pow(base, exp)
            return original_pow(base, exp)
        return original_pow(base, exp, mod)

    builtins.pow = like(pow, original_pow, None)

    original_format = builtins.format

    def format(value, format_spec="", /):
        _check_spec(format_spec)
        return original_format(value, format_spec)

    builtins.format = like(format, original_format, None)

    original_sorted = builtins.sorted

    def sorted(iterable, /, *, key=None, reverse=False):
        return original_sorted(sized(iterable), key=key, reverse=reverse)

    builtins.sorted = like(sorted, original_sorted, None)

    def check_factorial(n, *rest):
        if _isinstance(n, _int) and n > 20000:
            _refuse_int("factorial(%d)" % n, n * n.bit_length())

    def check_choose(n=0, k=None, *rest):
        if _isinstance(n, _int) and n > 20000 and (k is None or _isinstance(k, _int) and min(k, n - k) > 20000):
            _refuse_int("%s(%d, ...)" % ("comb/perm", n), n)

    for name, check in (("factorial", check_factorial), ("comb", check_choose), ("perm", check_choose)):
        original = getattr(math, name, None)
        if original is not None:
            setattr(math, name, checked(original, check))

    original_prod = getattr(math, "prod", None)
    if original_prod is not None:
        def prod(iterable, /, *, start=1):
            # In Python, so that it can be interrupted, and each product checked as the operator's are.
            result = start
            for x in iterable:
                result = mul(result, x)
            return result

        math.prod = like(prod, original_prod, "prod")

    original_set_digits = getattr(sys, "set_int_max_str_digits", None)
    if original_set_digits is not None:
        def set_int_max_str_digits(maxdigits):
            # Converting a huge integer to text cannot be interrupted: the bound stays on, at most MAX_DIGITS.
            if not _isinstance(maxdigits, _int) or maxdigits == 0 or maxdigits > MAX_DIGITS:
                raise ValueError("int max str digits may be 640 to %d in the sandbox (conversions of longer"
                                 " integers cannot be interrupted)" % MAX_DIGITS)
            return original_set_digits(maxdigits)

        sys.set_int_max_str_digits = like(set_int_max_str_digits, original_set_digits, "set_int_max_str_digits")

    def compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **kwargs):
        if flags & ast.PyCF_ONLY_AST:
            return _compile(source, filename, mode, flags, dont_inherit, optimize, **kwargs)
        if shared is not None and mode == "exec" and flags == 0 and dont_inherit is True and optimize == -1 \
                and not kwargs:
            library = _is_library_module(source, filename)
            if library or not (_type(filename) is _str and filename.startswith(_TRUSTED)):
                code = _shared_code(shared, source, filename)
                if code is not None:
                    return code
            if library:
                return _compile(source, filename, mode, flags, dont_inherit, optimize)
        return compile_guarded(source, filename, mode, flags, dont_inherit, optimize)

    def namespaces(globals, locals):
        if globals is None:
            caller = sys._getframe(2)
            globals = caller.f_globals
            if locals is None:
                locals = caller.f_locals
        return globals, (globals if locals is None else locals)

    def exec(source, globals=None, locals=None, /, **kwargs):
        g, l = namespaces(globals, locals)
        if _isinstance(source, (_str, _bytes, _bytearray)):
            source = compile_guarded(source, "<string>", "exec")
        return _exec(source, g, l, **kwargs)

    def eval(source, globals=None, locals=None, /):
        g, l = namespaces(globals, locals)
        if _isinstance(source, (_str, _bytes, _bytearray)):
            if _isinstance(source, _str):
                source = source.lstrip(" \t")
            source = compile_guarded(source, "<string>", "eval")
        return _eval(source, g, l)

    for f, original in ((compile, _compile), (exec, _exec), (eval, _eval)):
        # Named as the builtin, so that pickle finds it as builtins.exec.
        setattr(builtins, f.__name__, like(f, original, None))
