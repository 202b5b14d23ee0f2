package dev.cordon.tests;

import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Each standard-library module imports inside the sandbox and does its job. */
class StdlibInSandboxTest {

    static Stream<Arguments> modules() {
        return Stream.of(
                Arguments.of("json", "import json\nassert json.loads(json.dumps({'a': [1, 2.5, None, 'é']})) == {'a': [1, 2.5, None, 'é']}"),
                Arguments.of("re", "import re\nassert re.sub(r'(\\d+)', r'<\\1>', 'a1b22') == 'a<1>b<22>'\nassert re.fullmatch(r'[a-z]+@[a-z]+\\.org', 'x@y.org')"),
                Arguments.of("collections", "import collections\nassert collections.Counter('abcab').most_common(1) == [('a', 2)]\nd = collections.deque([1, 2, 3]); d.rotate(1)\nassert list(d) == [3, 1, 2]\nassert collections.namedtuple('P', 'x y')(1, 2).y == 2"),
                Arguments.of("itertools", "import itertools\nassert list(itertools.permutations('ab')) == [('a', 'b'), ('b', 'a')]\nassert list(itertools.accumulate([1, 2, 3])) == [1, 3, 6]\nassert list(itertools.islice(itertools.count(5), 3)) == [5, 6, 7]"),
                Arguments.of("functools", "import functools\nassert functools.reduce(lambda a, b: a * b, range(1, 6)) == 120\n@functools.lru_cache\ndef fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)\nassert fib(80) == 23416728348467685"),
                Arguments.of("datetime", "import datetime\nd = datetime.date(2024, 2, 28) + datetime.timedelta(days=1)\nassert d.isoformat() == '2024-02-29'\nassert datetime.datetime(2020, 1, 2, 3, 4).strftime('%Y-%m-%d %H:%M') == '2020-01-02 03:04'\nassert datetime.datetime.now(datetime.timezone.utc).year >= 2024"),
                Arguments.of("time", "import time\nassert time.time() > 1.6e9\nt = time.monotonic(); time.sleep(0.01)\nassert time.monotonic() > t\nassert time.strftime('%Y', time.gmtime(0)) == '1970'"),
                Arguments.of("math", "import math\nassert math.isclose(math.sqrt(2) ** 2, 2)\nassert math.factorial(20) == 2432902008176640000\nassert math.gcd(12, 18) == 6"),
                Arguments.of("random", "import random\na = random.Random(42); b = random.Random(42)\nassert [a.randint(1, 100) for _ in range(5)] == [b.randint(1, 100) for _ in range(5)]\nx = random.random()\nassert 0 <= x < 1\nl = list(range(10)); random.shuffle(l)\nassert sorted(l) == list(range(10))"),
                Arguments.of("string", "import string\nassert string.Template('$who likes $what').substitute(who='tim', what='pie') == 'tim likes pie'\nassert string.ascii_lowercase[:3] == 'abc'\nassert string.capwords('hello world') == 'Hello World'"),
                Arguments.of("textwrap", "import textwrap\nassert textwrap.wrap('aaa bbb ccc', 7) == ['aaa bbb', 'ccc']\nassert textwrap.dedent('  a\\n  b') == 'a\\nb'"),
                Arguments.of("base64", "import base64\nassert base64.b64encode(b'hi') == b'aGk='\nassert base64.b64decode('aGk=') == b'hi'\nassert base64.urlsafe_b64encode(b'\\xff\\xfe') == b'__4='"),
                Arguments.of("hashlib", "import hashlib\nassert hashlib.sha256(b'abc').hexdigest() == 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'\nassert hashlib.md5(b'').hexdigest() == 'd41d8cd98f00b204e9800998ecf8427e'"),
                Arguments.of("struct", "import struct\nassert struct.pack('<HI', 1, 2) == b'\\x01\\x00\\x02\\x00\\x00\\x00'\nassert struct.unpack('>i', b'\\xff\\xff\\xff\\xfe') == (-2,)"),
                Arguments.of("decimal", "from decimal import Decimal, getcontext\nassert Decimal('0.1') + Decimal('0.2') == Decimal('0.3')\ngetcontext().prec = 6\nassert str(Decimal(1) / Decimal(7)) == '0.142857'"),
                Arguments.of("fractions", "from fractions import Fraction\nassert Fraction(1, 3) + Fraction(1, 6) == Fraction(1, 2)\nassert Fraction('0.25') == Fraction(1, 4)"),
                Arguments.of("statistics", "import statistics\nassert statistics.mean([1, 2, 3, 4]) == 2.5\nassert statistics.median([3, 1, 2]) == 2\nassert round(statistics.stdev([2, 4, 4, 4, 5, 5, 7, 9]), 4) == 2.1381"),
                Arguments.of("dataclasses", "import dataclasses\n@dataclasses.dataclass(frozen=True)\nclass P:\n    x: int\n    y: int = 0\nassert P(1) == P(1, 0)\nassert dataclasses.asdict(P(1, 2)) == {'x': 1, 'y': 2}"),
                Arguments.of("typing", "import typing\nclass P(typing.NamedTuple):\n    x: int\n    y: typing.Optional[str] = None\ndef f(a: typing.List[int]) -> int: return 0\nassert P(1).y is None\nassert typing.get_type_hints(f)['a'] == typing.List[int]"),
                Arguments.of("enum", "import enum\nclass C(enum.Enum):\n    A = 1\n    B = 2\nassert C(1) is C.A and C['B'].value == 2\nclass F(enum.IntFlag):\n    R = 4\n    W = 2\nassert (F.R | F.W) == 6"),
                Arguments.of("heapq", "import heapq\nh = [5, 1, 4]; heapq.heapify(h); heapq.heappush(h, 0)\nassert [heapq.heappop(h) for _ in range(4)] == [0, 1, 4, 5]\nassert heapq.nlargest(2, [3, 9, 1, 7]) == [9, 7]"),
                Arguments.of("bisect", "import bisect\nassert bisect.bisect_left([1, 2, 4, 8], 4) == 2\nl = [1, 3]; bisect.insort(l, 2)\nassert l == [1, 2, 3]"),
                Arguments.of("io", "import io\ns = io.StringIO(); s.write('abc'); s.seek(0)\nassert s.read() == 'abc'\nb = io.BytesIO(b'xyz'); b.seek(1)\nassert b.read() == b'yz'"),
                Arguments.of("csv", "import csv, io\nrows = list(csv.reader(io.StringIO('a,b\\n\"c,d\",e\\n')))\nassert rows == [['a', 'b'], ['c,d', 'e']]\nout = io.StringIO(); csv.writer(out).writerow(['x', 'y,z'])\nassert out.getvalue() == 'x,\"y,z\"\\r\\n'"),
                Arguments.of("html", "import html\nassert html.escape('<a href=\"x\">&</a>') == '&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'\nassert html.unescape('&lt;&eacute;&#x41;') == '<éA'"),
                Arguments.of("urllib.parse", "from urllib.parse import urlparse, quote, urlencode, parse_qs\nu = urlparse('https://example.org/a/b?q=1&r=2#f')\nassert (u.netloc, u.path, u.fragment) == ('example.org', '/a/b', 'f')\nassert parse_qs(u.query) == {'q': ['1'], 'r': ['2']}\nassert quote('a b/c') == 'a%20b/c' and urlencode({'k': 'v w'}) == 'k=v+w'"),
                Arguments.of("unicodedata", "import unicodedata as u\ns = 'Crème Brûlée à São Paulo'\nassert ''.join(c for c in u.normalize('NFD', s) if not u.combining(c)) == 'Creme Brulee a Sao Paulo'\nassert (u.combining('\\u0301'), u.east_asian_width('中'), u.east_asian_width('a'), u.mirrored('('), u.mirrored('a')) == (230, 'W', 'Na', 1, 0)\nassert (u.decimal('٣'), u.digit('²'), u.numeric('½'), u.numeric('Ⅻ'), u.decimal('x', None)) == (3, 2, 0.5, 12.0, None)\nassert (u.decomposition('é'), u.decomposition('ﬁ'), u.decomposition('a')) == ('0065 0301', '<compat> 0066 0069', '')\nassert u.lookup('LATIN SMALL LETTER E WITH ACUTE') == 'é' and u.lookup('latin small letter a') == 'a'\ntry:\n    u.lookup('NO SUCH CHARACTER'); raise AssertionError\nexcept KeyError: pass\ntry:\n    u.digit('x'); raise AssertionError\nexcept ValueError as e: assert str(e) == 'not a digit'\nassert (u.unidata_version, u.ucd_3_2_0.unidata_version) == ('15.0.0', '3.2.0')\nassert u.ucd_3_2_0.category('\\U0001F600') == 'Cn' and u.category('\\U0001F600') == 'So'"),
                Arguments.of("encodings.idna", "assert 'bücher.example'.encode('idna') == b'xn--bcher-kva.example'\nassert b'xn--bcher-kva.example'.decode('idna') == 'bücher.example'\nimport stringprep\nassert stringprep.in_table_c12('\\u3000') and stringprep.in_table_d1('\\u05d0') and stringprep.map_table_b2('ß') == 'ss'"),
                // Cordon's guarded builtins (min, exec, pow...) are named as the builtins they stand for, so pickle
                // finds them as CPython's (test_pickle's test_large_pickles pickles min).
                Arguments.of("pickle of builtins", "import pickle, builtins\nfor n in dir(builtins):\n    f = getattr(builtins, n)\n    if callable(f) and not isinstance(f, type):\n        assert pickle.loads(pickle.dumps(f)) is f, n\nassert (min.__module__, min.__qualname__) == ('builtins', 'min')"),
                Arguments.of("lzma", "import lzma, io\nd = lzma.compress(b'hello ' * 1000)\nassert lzma.decompress(d) == b'hello ' * 1000\nassert lzma.decompress(lzma.compress(b'x', format=lzma.FORMAT_ALONE)) == b'x'\nf = io.BytesIO()\nwith lzma.LZMAFile(f, 'w') as w: w.write(b'abc')\nf.seek(0)\nassert lzma.LZMAFile(f).read() == b'abc'\nimport pickle\nD = lzma.LZMADecompressor\nassert (D.__module__, D.__qualname__) == ('_lzma', 'LZMADecompressor')\ntry:\n    pickle.dumps(D())\n    raise AssertionError('pickled')\nexcept TypeError:\n    pass\nassert D.__new__(D).decompress(b'') == b''"),
                Arguments.of("tarfile", "import tarfile, io\nfor mode in ('w', 'w:gz', 'w:xz'):\n    b = io.BytesIO()\n    with tarfile.open(fileobj=b, mode=mode) as t:\n        i = tarfile.TarInfo('a.txt'); i.size = 3\n        t.addfile(i, io.BytesIO(b'abc'))\n    b.seek(0)\n    with tarfile.open(fileobj=b) as t:\n        assert t.getnames() == ['a.txt'] and t.extractfile('a.txt').read() == b'abc', mode"),
                Arguments.of("traceback", "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    text = traceback.format_exc()\nassert 'ZeroDivisionError: division by zero' in text and 'Traceback' in text"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modules")
    void moduleWorks(String module, String code) {
        ExecutionResult r = SharedCordon.run(code + "\nprint('ok')\n");
        assertThat(r.status()).as("%s: %s", module, r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("ok\n");
    }

    /**
     * unicodedata's completion (the functions and the 3.2 database GraalPy takes from native code) is loaded when
     * the guest first uses it, not while each context starts: a fresh context does not hold its tables, the
     * first name used (here the 3.2 database, by the import stringprep does) loads them, and a function taken
     * from the module before that goes on working.
     */
    @Test
    void unicodedataIsCompletedOnFirstUse() {
        ExecutionResult r = SharedCordon.run("""
                import sys, unicodedata
                from _cordon_graalpy import after_import
                before = dict(vars(unicodedata))
                print('tables at start:', '_cordon_graalpy.unicode_tables' in sys.modules)
                from unicodedata import combining
                from unicodedata import ucd_3_2_0
                print('3.2:', ucd_3_2_0.unidata_version, ucd_3_2_0.category('\\U0001F600'))
                print('tables after:', '_cordon_graalpy.unicode_tables' in sys.modules)
                print('kept:', combining('\\u0301'), unicodedata.combining('\\u0301'), combining is unicodedata.combining)
                print('listed:', all(n in dir(unicodedata) for n in ('UCD', 'ucd_3_2_0', 'lookup')))
                # The stand-ins and the module's __getattr__ name exactly what the completion adds.
                changed = sorted(n for n, v in vars(unicodedata).items() if before.get(n) is not v)
                named = sorted(after_import.UNICODEDATA_FUNCTIONS + after_import.UNICODEDATA_ATTRIBUTES)
                print('exactly:', changed == named or (changed, named), '__getattr__' in vars(unicodedata))
                try:
                    unicodedata.no_such_name
                except AttributeError as e:
                    print(e)
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                tables at start: False
                3.2: 3.2.0 Cn
                tables after: True
                kept: 230 230 False
                listed: True
                exactly: True False
                module 'unicodedata' has no attribute 'no_such_name'
                """);
    }

    /**
     * A stream whose header declares a huge dictionary is refused before GraalPy allocates it (which it does
     * whatever memlimit says): as liblzma refuses it when it detects the format, or as too large for the call.
     */
    @Test
    void lzmaHeadersThatDeclareHugeDictionariesAreRefusedAtOnce() {
        ExecutionResult r = SharedCordon.run("""
                import lzma
                def outcome(data, **kw):
                    try:
                        lzma.decompress(data, **kw)
                        return 'decompressed'
                    except (lzma.LZMAError, MemoryError) as e:
                        return '%s: %s' % (type(e).__name__, str(e).split(' would need')[0])
                print(outcome(b'x' * 10000))
                alone = bytes([0x5d]) + (1 << 30).to_bytes(4, 'little') + (5).to_bytes(8, 'little') + bytes(20)
                print(outcome(alone))
                print(outcome(alone, format=lzma.FORMAT_ALONE))
                print(outcome(alone, format=lzma.FORMAT_ALONE, memlimit=1 << 20))
                # An .xz stream whose first block's LZMA2 dictionary is 1.5 GiB.
                block = bytes([2, 0, 0x21, 1, 37, 0, 0, 0]) + bytes(4)
                print(outcome(b'\\xfd7zXZ\\x00\\x00\\x01' + bytes(4) + block + bytes(20)))
                print(outcome(lzma.compress(b'fine')))
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                LZMAError: Input format not supported by decoder
                MemoryError: an LZMA dictionary
                MemoryError: an LZMA dictionary
                LZMAError: Memory usage limit was reached
                MemoryError: an LZMA dictionary
                decompressed
                """);
    }

    /**
     * json.loads parses numbers in GraalPy's scanner itself (_cordon_graalpy.boot hands the scanner plain
     * number hooks); the values, to the bit, and the decoder's own hooks and errors stay CPython's.
     */
    @Test
    void openIsABuiltinThatAClassKeepsWithoutBindingIt() {
        // CPython's io.open is a builtin function, which a class attribute does not bind: test_io keeps it as
        // `open = io.open` and calls self.open(path, 'wb', buffering=0). Cordon's open (which remembers the
        // files written, to flush those left open) binds no more than CPython's does.
        ExecutionResult r = SharedCordon.run(SharedCordon.get(), "open-builtin", """
                import io, pickle, inspect
                class T:
                    open = io.open
                    def go(self):
                        with self.open('/tmp/open-builtin.txt', 'wb', buffering=0) as f:
                            f.write(b'x')
                        return self.open('/tmp/open-builtin.txt').read()
                print(T().go(), open is io.open, repr(open), open.__name__, open.__module__)
                print(pickle.loads(pickle.dumps(open)) is open, list(inspect.signature(open).parameters)[:3])
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                x True <built-in function open> open io
                True ['file', 'mode', 'buffering']
                """);
    }

    @Test
    void aTextFileOpenedWithoutAnEncodingHasTheLocalesWithoutImportingLocale() {
        // GraalPy asks the locale module for a text file's default encoding, and importing it (with re, enum,
        // collections) made the first open() of a fresh context take 0.1 s. The boot's open answers for the
        // settings it knows; each must be what the real module says, and any other is left to it.
        ExecutionResult r = SharedCordon.run(SharedCordon.get(), "open-encoding", """
                import sys
                had_os = 'os' in sys.modules
                f = open('/tmp/enc.txt', 'w'); f.write('é'); f.close()
                import os
                g = open('/tmp/enc.txt', 'r', 1)
                print(g.encoding, g.read(), 'locale' in sys.modules, 're' in sys.modules, had_os)
                g.close()
                from _cordon_graalpy import boot
                import locale
                for value in sorted(boot._KNOWN_ENCODINGS):
                    os.environ['LANG'] = value
                    assert locale.getencoding() == boot._KNOWN_ENCODINGS[value], (value, locale.getencoding())
                del sys.modules['locale']
                os.environ['LANG'] = 'xx_YY.ISO8859-1'
                assert boot._locale_encoding() is None
                h = open('/tmp/enc.txt', 'w')
                print(h.encoding, 'locale' in sys.modules)
                os.environ['LANG'] = 'C.UTF-8'
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                UTF-8 é False False False
                ISO8859-1 True
                """);
    }

    @Test
    void setBlockingIsAnErrorTheGuestCanCatchNotALostInterpreter() {
        // GraalPy's os.set_blocking failed internally for every descriptor, which cost the guest its interpreter.
        ExecutionResult r = SharedCordon.run("""
                import os, errno
                r, w = os.pipe()
                os.set_blocking(r, True)
                print(os.get_blocking(r))
                for fd, blocking in ((w, False), (99, True)):
                    try:
                        os.set_blocking(fd, blocking)
                    except OSError as e:
                        print(errno.errorcode[e.errno])
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("True\nEOPNOTSUPP\nEBADF\n");
    }

    @Test
    void chownUtimeOfAPipeAndOpenptyAreAnswersNotALostInterpreter() {
        // Each failed inside GraalPy ("fchownat is not supported" and the like), which cost the guest its
        // interpreter: now chown answers as Linux does an unprivileged user, and openpty is refused.
        ExecutionResult r = SharedCordon.run(SharedCordon.get(), "chown", """
                import os
                fd = os.open('/tmp/owned', os.O_CREAT | os.O_RDWR)
                os.fchown(fd, -1, -1)
                os.chown('/tmp/owned', os.getuid(), os.getgid())
                os.lchown('/tmp/owned', -1, os.getgid())
                os.chown('/usr/lib/graalpy', -1, -1)
                r, w = os.pipe()
                os.utime(r)
                os.utime(fd, (1, 2))
                print(os.stat('/tmp/owned').st_mtime)
                for call in (lambda: os.chown('/tmp/owned', 0, 0), lambda: os.chown('/tmp/owned', 1.5, -1),
                             lambda: os.chown('/usr/lib/graalpy', os.getuid(), -1), lambda: os.fchown(99, -1, -1),
                             lambda: os.utime(99), lambda: os.openpty()):
                    try:
                        call()
                    except (OSError, TypeError) as e:
                        print(type(e).__name__, getattr(e, 'errno', None))
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                2.0
                PermissionError 1
                TypeError None
                PermissionError 1
                OSError 9
                OSError 9
                PermissionError 1
                """);
    }

    @Test
    void warningsNameTheGuestsLineNotCordonsFrames() {
        // Cordon's wrappers of builtins have frames where CPython's builtins have none: a module deprecated at
        // import (stacklevel=2) must name the importing line, as on CPython, not the guard that ran its code.
        ExecutionResult r = SharedCordon.run("""
                import warnings, sys
                sys.modules.pop('sre_compile', None)
                with warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter('always')
                    import sre_compile
                    def deeper():
                        warnings.warn('two', stacklevel=2)
                    deeper()
                    warnings.warn('one')
                    exec("warnings.warn('in exec')")
                    warnings.warn('too far', stacklevel=50)
                for x in w:
                    print(x.filename, x.lineno, x.category.__name__, x.message)
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                <string> 5 DeprecationWarning module 'sre_compile' is deprecated
                <string> 8 UserWarning two
                <string> 9 UserWarning one
                <string> 1 UserWarning in exec
                sys 0 UserWarning too far
                """);
    }

    @Test
    void jsonNumbersDecodeExactlyAndHooksAndErrorsStay() {
        ExecutionResult r = SharedCordon.run("""
                import json, decimal, math
                ints = json.loads('[0, -0, 7, -12, 123456789012345678901234567890, -98765432109876543210987654321]')
                assert ints == [0, 0, 7, -12, 123456789012345678901234567890, -98765432109876543210987654321], ints
                assert all(type(i) is int for i in ints)
                text = '1.5, -0.0, 0.1, 1e10, 1E-7, -2.5e+3, 1e400, -1e400, 5e-324, 1.7976931348623157e308, 3.141592653589793, 12345678901234567.0, 0.30000000000000004, 2.2250738585072014e-308'
                floats = json.loads('[' + text + ']')
                assert all(type(f) is float for f in floats)
                hexes = [f.hex() for f in floats]
                assert hexes == ['0x1.8000000000000p+0', '-0x0.0p+0', '0x1.999999999999ap-4', '0x1.2a05f20000000p+33',
                    '0x1.ad7f29abcaf48p-24', '-0x1.3880000000000p+11', 'inf', '-inf', '0x0.0000000000001p-1022',
                    '0x1.fffffffffffffp+1023', '0x1.921fb54442d18p+1', '0x1.5ee2a2eb5a5c4p+53', '0x1.3333333333334p-2',
                    '0x1.0000000000000p-1022'], hexes
                assert hexes == [float(t).hex() for t in text.split(', ')]
                assert json.loads('{"a": 1.25}', parse_float=decimal.Decimal) == {'a': decimal.Decimal('1.25')}
                assert json.loads('[3, 2.5]', parse_int=lambda s: 'int:' + s) == ['int:3', 2.5]
                import json.scanner
                scanner = json.scanner.make_scanner
                assert (scanner.__module__, scanner.__qualname__) == ('_json', 'make_scanner'), scanner
                assert json.loads('[3, 2.5]', parse_float=lambda s: 'float:' + s) == [3, 'float:2.5']
                assert json.loads('{"a": 2}', object_hook=lambda d: sorted(d.items())) == [('a', 2)]
                assert json.loads('{"a": 2, "b": 3}', object_pairs_hook=list) == [('a', 2), ('b', 3)]
                assert json.loads('[NaN, Infinity]', parse_constant=lambda c: c) == ['NaN', 'Infinity']
                assert math.isnan(json.loads('NaN'))
                assert json.JSONDecoder(strict=False).decode('"a\tb"') == 'a\tb'
                errors = []
                for bad in ['[1.]', '[01]', '[-]', '[1e]', '{"a" 1}', '[.5]', '[1,]', '"a\tb"']:
                    try:
                        json.loads(bad)
                        errors.append((bad, 'accepted'))
                    except json.JSONDecodeError as e:
                        errors.append((e.msg, e.pos))
                assert errors == [("Expecting ',' delimiter", 2), ("Expecting ',' delimiter", 2), ('Expecting value', 1),
                    ("Expecting ',' delimiter", 2), ("Expecting ':' delimiter", 5), ('Expecting value', 1),
                    ('Expecting value', 3), ('Invalid control character at', 2)], errors
                print('ok')
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("ok\n");
    }
}
