"""_bz2 for the sandbox, on the host's bzip2 (Apache Commons Compress): GraalPy's _bz2 is native code.

The interface is CPython's: bz2.compress, bz2.decompress, BZ2File, and the incremental BZ2Compressor and
BZ2Decompressor. What differs: a compressor returns its output at flush() (compress() gives b""), and a
decompressor decodes a stream once its end is there, so output comes a stream at a time. Output is never
larger than what the call may use at once: past it, decompression is refused with MemoryError before it
is held.
"""

__all__ = ["BZ2Compressor", "BZ2Decompressor"]


def _bridge():
    import cordon
    return cordon._bridge


class BZ2Compressor(object):
    """Create a compressor object for compressing data incrementally."""

    def __init__(self, compresslevel=9, /):
        if not isinstance(compresslevel, int) or isinstance(compresslevel, bool):
            raise TypeError("'%s' object cannot be interpreted as an integer" % type(compresslevel).__name__)
        if not 1 <= compresslevel <= 9:
            raise ValueError("compresslevel must be between 1 and 9")
        self._level = compresslevel
        self._parts = []
        self._flushed = False

    def compress(self, data, /):
        """Provide data to the compressor object."""
        if self._flushed:
            raise ValueError("Compressor has been flushed")
        self._parts.append(bytes(data))
        return b""

    def flush(self):
        """Finish the compression process."""
        if self._flushed:
            raise ValueError("Repeated call to flush()")
        self._flushed = True
        from _cordon_graalpy import guard
        data = b"".join(self._parts)
        self._parts = []
        if len(data) > guard._limit[0]:
            guard._refuse("compressing %d bytes with bzip2" % len(data), len(data))
        out = _bridge().bz2Compress(data.decode("latin-1"), self._level)
        if out is None:
            raise OSError("bzip2 compression failed")
        return out.encode("latin-1")


class BZ2Decompressor(object):
    """Create a decompressor object for decompressing data incrementally."""

    def __init__(self):
        self._input = b""
        self._scanned = 0
        self._output = b""
        self.eof = False
        self.unused_data = b""
        self.needs_input = True

    def decompress(self, data, max_length=-1):
        """Decompress *data*, returning uncompressed data as bytes."""
        if self.eof:
            raise EOFError("End of stream already reached")
        if not self._output or data:
            self._input += bytes(data)
            if self._input:
                self._decode()
        if max_length is None or max_length < 0:
            out, self._output = self._output, b""
        else:
            out, self._output = self._output[:max_length], self._output[max_length:]
        if self._output:
            self.needs_input = False
        elif self._decoded:
            self.eof = True
            self.needs_input = False
        else:
            self.needs_input = True
        return out

    _decoded = False

    def _decode(self):
        if self._decoded:
            self.unused_data += self._input
            self._input = b""
            return
        from _cordon_graalpy import guard
        answer = _bridge().bz2Decompress(self._input.decode("latin-1"), guard._limit[0], self._scanned)
        self._scanned = len(self._input)
        kind = answer[:1]
        if kind == "t":
            return
        if kind == "m":
            guard._refuse("decompressing a bzip2 stream", guard._limit[0] + 1)
        if kind == "e":
            raise OSError(answer[1:])
        consumed, _, text = answer[1:].partition(":")
        consumed = int(consumed)
        self._output = text.encode("latin-1")
        self.unused_data = self._input[consumed:]
        self._input = b""
        self._decoded = True
