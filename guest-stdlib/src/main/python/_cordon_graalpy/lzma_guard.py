"""lzma's decompressor behind a check of the headers that say how much memory it will take.

GraalPy decodes LZMA in Java, and allocates the dictionary a stream's header declares before it reads
any data, ignoring memlimit. Any 13 bytes that are not an .xz stream read as a legacy .lzma header
whose dictionary can be gigabytes: lzma.decompress() of 10 KB of anything else allocated over 1.6 GB,
and tarfile.open() of a plain tar, which tries xz on its way, spun until the wall limit. liblzma, which
CPython uses, refuses such headers at once when it detects the format itself. Here the decompressor
first reads the header as liblzma does:

- a legacy .lzma header is refused as liblzma refuses it when detecting the format (properties byte
  over 224, a dictionary size that is not 2^n or 2^n + 2^(n-1), a known size of 256 GiB or more):
  LZMAError "Input format not supported by decoder";
- with the format named (FORMAT_ALONE, FORMAT_RAW with an LZMA filter) or an .xz stream whose first
  block's LZMA2 dictionary is larger than what the call may use at once (or than memlimit), the
  decompressor is refused with MemoryError (or LZMAError "Memory usage limit was reached" for
  memlimit), before anything is allocated.

Later blocks of an .xz stream are not read ahead; the call's memory limit still bounds them.
"""

_XZ_MAGIC = b"\xfd7zXZ\x00"
_ALONE_HEADER = 13
_LZMA2 = 0x21


def install(lzma):
    import _lzma
    from _cordon_graalpy import guard

    original = _lzma.LZMADecompressor
    LZMAError = _lzma.LZMAError

    def dictionary_allowed(size, memlimit):
        if memlimit is not None and size > memlimit:
            raise LZMAError("Memory usage limit was reached")
        if size > guard._limit[0]:
            guard._refuse("an LZMA dictionary", size)

    def alone_header(head, picky, memlimit):
        if head[0] > (4 * 5 + 4) * 9 + 8:
            raise LZMAError("Input format not supported by decoder" if picky else "Invalid or unsupported options")
        size = int.from_bytes(head[1:5], "little")
        if picky and size != 0xFFFFFFFF:
            d = size - 1
            for shift in (2, 3, 4, 8, 16):
                d |= d >> shift
            if d + 1 != size:
                raise LZMAError("Input format not supported by decoder")
        known = int.from_bytes(head[5:13], "little")
        if picky and known != (1 << 64) - 1 and known >= 1 << 38:
            raise LZMAError("Input format not supported by decoder")
        dictionary_allowed(size, memlimit)

    def vli(data, at):
        value, shift = 0, 0
        while True:
            if at >= len(data) or shift > 63:
                raise LZMAError("Corrupt input data")
            b = data[at]
            value |= (b & 0x7F) << shift
            at += 1
            if not b & 0x80:
                return value, at
            shift += 7

    def xz_needs(head):
        """How many bytes of an .xz stream the check reads: its header and its first block's header."""
        if len(head) < 13 or head[12] == 0:
            return 13
        return 12 + (head[12] + 1) * 4

    def xz_header(head, memlimit):
        if head[12] == 0:
            return  # no block: the index follows
        flags = head[13]
        at = 14
        for present in (0x40, 0x80):
            if flags & present:
                _, at = vli(head, at)
        for _ in range((flags & 3) + 1):
            filter_id, at = vli(head, at)
            size, at = vli(head, at)
            props = head[at:at + size]
            at += size
            if filter_id == _LZMA2 and props:
                bits = props[0] & 0x3F
                if bits > 40:
                    raise LZMAError("Corrupt input data")
                dictionary_allowed(0xFFFFFFFF if bits == 40 else (2 | (bits & 1)) << (bits // 2 + 11), memlimit)

    def raw_filters(filters, memlimit):
        for f in filters or ():
            size = f.get("dict_size") if isinstance(f, dict) else None
            if isinstance(size, int):
                dictionary_allowed(size, memlimit)

    class LZMADecompressor(object):
        """Create a decompressor object for decompressing data incrementally."""

        # What a decompressor made by __new__ alone has (CPython's decompresses b'' to b'').
        _args = (_lzma.FORMAT_AUTO, None, None)
        _head = b""
        _inner = None

        def __init__(self, format=_lzma.FORMAT_AUTO, memlimit=None, filters=None):
            self._args = (format, memlimit, filters)
            self._head = b""
            self._inner = None
            if format == _lzma.FORMAT_RAW:
                raw_filters(filters, memlimit)
            if format not in (_lzma.FORMAT_AUTO, _lzma.FORMAT_ALONE, _lzma.FORMAT_XZ):
                self._inner = original(format, memlimit, filters)

        def _checked(self):
            """Whether the header is read and allowed (raises if it is refused); False while more is needed."""
            head, (format, memlimit, _) = self._head, self._args
            xz = head[:len(_XZ_MAGIC)] == _XZ_MAGIC[:len(head)]
            if format == _lzma.FORMAT_XZ or (format == _lzma.FORMAT_AUTO and head[:1] == _XZ_MAGIC[:1]):
                if not xz or len(head) < xz_needs(head):
                    return not xz  # not an .xz stream at all: the decoder says so itself
                xz_header(head, memlimit)
                return True
            if len(head) < _ALONE_HEADER:
                return False
            alone_header(head, format == _lzma.FORMAT_AUTO, memlimit)
            return True

        def decompress(self, data, max_length=-1):
            """Decompress *data*, returning uncompressed data as bytes."""
            if self._inner is None:
                self._head += bytes(data)
                if not self._checked():
                    return b""
                self._inner = original(*self._args)
                data, self._head = self._head, b""
            return self._inner.decompress(data, max_length)

        @property
        def eof(self):
            return self._inner is not None and self._inner.eof

        @property
        def unused_data(self):
            return self._inner.unused_data if self._inner is not None else b""

        @property
        def needs_input(self):
            return self._inner.needs_input if self._inner is not None else True

        @property
        def check(self):
            return self._inner.check if self._inner is not None else _lzma.CHECK_UNKNOWN

        def __reduce_ex__(self, protocol=None):
            raise TypeError("cannot pickle 'LZMADecompressor' object")

        __reduce__ = __reduce_ex__

    LZMADecompressor.__module__ = "_lzma"
    LZMADecompressor.__qualname__ = "LZMADecompressor"
    lzma.LZMADecompressor = LZMADecompressor
