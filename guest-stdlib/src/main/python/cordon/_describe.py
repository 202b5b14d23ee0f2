"""Describes an exception that escaped the guest's code, the same way on every backend.

The host receives three strings: the type's name as Python's traceback prints it (qualified by
module, except for builtins and __main__), str(exc), and the traceback text of the guest's own
frames: frames of Cordon's modules (everything below the guest library's directory) are left out,
and a runaway recursion keeps only its innermost MAX_FRAMES. Works on Python 2.7 and on Python 3.
"""

import sys

# Tracebacks the host receives show at most this many frames, the innermost.
MAX_FRAMES = 100
# Where Cordon's own modules are on every backend: their frames are not the guest's.
LIBRARY = "/usr/lib/cordon/"
# The longest message and traceback handed to the host, in characters: the host cuts again to the call's
# response budget, but a huge message is not even copied out (the cut is marked).
MAX_MESSAGE = 64 * 1024
MAX_TRACEBACK = 256 * 1024


def _cut(text, limit, keep_end=False):
    if len(text) <= limit:
        return text
    mark = "...[%d more characters cut]" % (len(text) - limit)
    return mark + text[-limit:] if keep_end else text[:limit] + mark


def describe(exc_type, exc, tb, source=None, filename=None, guarded=None):
    """[type name, str(exc), traceback text].

    source and filename are the guest's program and its name, so that the traceback can quote its
    lines; guarded, when the guard's rewritten text ran in the source's place, is that text: its
    lines have the source's numbers, but the columns of a line the guard changed are not the
    source's, so such a line gets no column marks.
    """
    name = exc_type.__name__
    module = getattr(exc_type, "__module__", "builtins")
    if module not in ("builtins", "exceptions", "__main__"):
        name = "%s.%s" % (module, getattr(exc_type, "__qualname__", name))
    else:
        name = getattr(exc_type, "__qualname__", name)
    try:
        message = str(exc)
    except BaseException:
        message = "<exception str() failed>"
    long_message = len(message) > MAX_MESSAGE
    message = _cut(message, MAX_MESSAGE)
    try:
        import linecache
        import traceback
        if source is not None and filename:
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        depth = 0
        t = tb
        while t is not None:
            depth += 1
            t = t.tb_next
        if sys.version_info[0] >= 3:
            frames = traceback.extract_tb(tb, limit=-MAX_FRAMES)
        else:
            frames = traceback.extract_tb(tb)[-MAX_FRAMES:]
        frames = [f for f in frames if not _own(f)]
        if guarded is not None and source is not None:
            own, rewritten = source.split("\n"), guarded.split("\n")
            for f in frames:
                n = f.lineno
                if f.filename == filename and n and (n > len(own) or n > len(rewritten)
                                                     or own[n - 1] != rewritten[n - 1]):
                    f.colno = f.end_colno = None
        text = "".join(traceback.format_list(frames))
        if depth > MAX_FRAMES:
            text = "  [%d earlier frames not shown]\n" % (depth - MAX_FRAMES) + text
        if text:
            text = "Traceback (most recent call last):\n" + text
        if long_message:
            # format_exception_only would build the whole message again.
            text += "%s: %s\n" % (name, message)
        else:
            text += "".join(traceback.format_exception_only(exc_type, exc))
    except BaseException:
        text = "%s: %s\n" % (name, message) if message else name + "\n"
    return [name, message, _cut(text, MAX_TRACEBACK, keep_end=True)]


def _own(frame):
    filename = frame[0]
    return isinstance(filename, str) and filename.startswith(LIBRARY)
