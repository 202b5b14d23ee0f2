"""The guarded form of a main program as source text, for the host to evaluate as a source of its own.

The guard (_cordon_graalpy/guard.py) rewrites a syntax tree. Compiled from the tree, or loaded from its marshalled
code, a program gets code objects of the one context that made them: the JIT compiles each context's copy of
the program anew. A source the host evaluates is parsed once and its code shared by every context of the
engine. So the rewritten tree is written back as text: the program's own text, with each node the guard added
or replaced written in its place, and nothing else changed. No line break is added or removed, so every line
keeps its number and tracebacks quote the program's own lines.

The text is used only if parsing it gives exactly the guarded tree (every node and field, positions aside);
anything this module cannot write, it declines (None), and the program runs from marshalled code as before.
"""

import _ast as ast

_type = type
_id = id
_len = len
_isinstance = isinstance

_BINARY = {ast.Mult: " * ", ast.BitOr: " | ", ast.Mod: " % "}
_COMPARE = {ast.Is: " is ", ast.In: " in "}
# The nodes the guard makes whose text needs no parentheses wherever it goes: a name, a call, an attribute or
# an item of a name. Every other node it makes is written in parentheses.
_ATOMS = (ast.Name, ast.Call, ast.Attribute, ast.Subscript)
# Nodes that take no part in the text: contexts and operators are written by the node that holds them.
_SILENT = (ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)


class _Declined(Exception):
    pass


def _walk(tree):
    """Every node of the tree that is written as text, parents before children."""
    out = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if _type(value) is list:
                for item in reversed(value):
                    if _isinstance(item, ast.AST) and not _isinstance(item, _SILENT):
                        stack.append(item)
            elif _isinstance(value, ast.AST) and not _isinstance(value, _SILENT):
                stack.append(value)
    return out


def originals(tree):
    """The nodes of a tree before it is rewritten, by identity (the list keeps them alive)."""
    nodes = _walk(tree)
    return {_id(n): n for n in nodes}


def _children(node):
    out = []
    for field in node._fields:
        value = getattr(node, field, None)
        if _type(value) is list:
            out.extend(v for v in value if _isinstance(v, ast.AST) and not _isinstance(v, _SILENT))
        elif _isinstance(value, ast.AST) and not _isinstance(value, _SILENT):
            out.append(value)
    return out


class _Writer:
    def __init__(self, data, original):
        self.data = data
        self.original = original
        starts = [0]
        i = data.find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = data.find("\n", i + 1)
        self.starts = starts
        self.dirty = {}

    def span(self, node):
        """The node's offsets in the program (GraalPy counts columns in characters), or None if it has no position."""
        lineno = getattr(node, "lineno", None)
        end_lineno = getattr(node, "end_lineno", None)
        if lineno is None or end_lineno is None:
            return None
        if not (1 <= lineno <= end_lineno <= _len(self.starts)):
            raise _Declined()
        start = self.starts[lineno - 1] + node.col_offset
        end = self.starts[end_lineno - 1] + node.end_col_offset
        if not (0 <= start <= end <= _len(self.data)):
            raise _Declined()
        return start, end

    def mark(self, tree):
        """Which nodes are new or hold a new node (iteratively, so a deep tree costs no Python stack)."""
        for node in reversed(_walk(tree)):
            if _id(node) in self.dirty:
                continue
            changed = _id(node) not in self.original
            for child in _children(node):
                if self.dirty.get(_id(child)):
                    changed = True
            self.dirty[_id(node)] = changed

    def positioned(self, node):
        """The nearest descendants with a position that are new or hold new nodes, in the program's order;
        a new node before an original one at the same place."""
        out = []
        stack = _children(node)
        while stack:
            child = stack.pop()
            if not self.dirty.get(_id(child)):
                continue
            span = self.span(child)
            if span is None:
                if _id(child) not in self.original:
                    raise _Declined()
                stack.extend(_children(child))
            else:
                out.append((span[0], _id(child) in self.original, span[1], child))
        out.sort(key=lambda entry: (entry[0], entry[1]))
        return out

    def text(self, node, depth=0):
        if depth > 200:
            raise _Declined()
        if _id(node) in self.original:
            span = self.span(node)
            if span is None:
                if not _isinstance(node, ast.Module):
                    raise _Declined()
                span = (0, _len(self.data))
            return self.splice(node, span, depth)
        return self.new(node, depth)

    def splice(self, node, span, depth):
        pieces = []
        pos, end = span
        for start, is_original, stop, child in self.positioned(node):
            if start < pos or stop > end:
                raise _Declined()
            pieces.append(self.data[pos:start])
            pos = start
            piece = self.text(child, depth + 1)
            if not is_original and start == stop:
                # A node added where the program has no text (the check of a bare except, right after the
                # keyword): a space before it.
                pieces.append(" " + piece)
                continue
            if not is_original:
                # The line breaks of the node replaced (between its operands, say) go before the new node's
                # closing parenthesis, so that every later line keeps its number.
                missing = self.data.count("\n", start, stop) - piece.count("\n")
                if missing < 0 or missing and not piece.endswith(")"):
                    raise _Declined()
                piece = piece[:-1] + "\n" * missing + ")" if missing else piece
                if self.data.startswith("(", start) and not piece.startswith("("):
                    # The node replaced began with a parenthesis that may be its call's: a generator
                    # expression, the only argument, spans the call's parentheses.
                    piece = "(" + piece + ")"
            pieces.append(piece)
            pos = stop
        pieces.append(self.data[pos:end])
        return "".join(pieces)

    def expr(self, node, depth):
        """The text of an operand: in parentheses, unless it is a name or a call the guard made."""
        text = self.text(node, depth + 1)
        if _id(node) not in self.original and _type(node) in _ATOMS:
            return text
        return "(" + text + ")"

    def new(self, node, depth):
        t = _type(node)
        if t is ast.Name:
            return node.id
        if t is ast.Constant and _type(node.value) in (str, int):
            # The method name of a checked call, the conversion of a replacement field.
            return repr(node.value)
        if t is ast.Call:
            args = [("*" + self.expr(a.value, depth)) if _type(a) is ast.Starred else self.expr(a, depth)
                    for a in node.args]
            for k in node.keywords:
                args.append(("**" if k.arg is None else k.arg + "=") + self.expr(k.value, depth))
            return self.expr(node.func, depth) + "(" + ", ".join(args) + ")"
        if t is ast.NamedExpr:
            return "(" + self.text(node.target, depth + 1) + " := " + self.expr(node.value, depth) + ")"
        if t is ast.Compare:
            if _len(node.ops) != 1 or _type(node.ops[0]) not in _COMPARE:
                raise _Declined()
            return ("(" + self.expr(node.left, depth) + _COMPARE[_type(node.ops[0])]
                    + self.expr(node.comparators[0], depth) + ")")
        if t is ast.IfExp:
            return ("(" + self.expr(node.body, depth) + " if " + self.expr(node.test, depth) + " else "
                    + self.expr(node.orelse, depth) + ")")
        if t is ast.BinOp:
            op = _BINARY.get(_type(node.op))
            if op is None:
                raise _Declined()
            return "(" + self.expr(node.left, depth) + op + self.expr(node.right, depth) + ")"
        if t is ast.Attribute:
            return self.expr(node.value, depth) + "." + node.attr
        if t is ast.Subscript:
            return self.expr(node.value, depth) + "[" + self.expr(node.slice, depth) + "]"
        if t is ast.Assign:
            if _len(node.targets) != 1:
                raise _Declined()
            return self.text(node.targets[0], depth + 1) + " = " + self.expr(node.value, depth)
        if t is ast.Expr:
            return self.expr(node.value, depth)
        raise _Declined()


def same_tree(a, b):
    """Whether two syntax trees are equal in every node and field, and each statement on the same line."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if _type(x) is not _type(y):
            return False
        if _isinstance(x, ast.AST):
            if _isinstance(x, ast.stmt) and getattr(x, "lineno", None) != getattr(y, "lineno", None):
                return False
            for field in x._fields:
                stack.append((getattr(x, field, None), getattr(y, field, None)))
        elif _type(x) is list:
            if _len(x) != _len(y):
                return False
            stack.extend(zip(x, y))
        elif x != y:
            return False
    return True


def write(source, original, tree, compile, filename):
    """The text of the rewritten tree, or None if it cannot be written so that it parses back to that tree.

    source: the program's text; original: originals() of its tree before the rewrite; compile: the builtin.
    """
    if "\r" in source:
        # Python reads a lone carriage return as a line break, which the positions would have to follow.
        return None
    try:
        writer = _Writer(source, original)
        writer.mark(tree)
        text = writer.text(tree)
        check = compile(text, filename, "exec", ast.PyCF_ONLY_AST, True)
    except (_Declined, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if text.count("\n") != source.count("\n") or not same_tree(check, tree):
        return None
    return text
