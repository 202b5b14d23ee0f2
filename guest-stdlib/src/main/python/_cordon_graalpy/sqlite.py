"""The guest's _sqlite3: CPython's sqlite3 package runs on it unchanged.

Each database is SQLite in the host's engine (dev.cordon.capabilities.sqlite.GuestDatabases): an in-memory
database, or a file of the guest's virtual filesystem read and written back whole through it, with its
permissions and quota. SQLite never sees a host path. Statements cross one JSON request at a time; rows come
back in batches. Functions, aggregates and collations the guest creates are called back on the guest's own
thread while a statement runs (_dispatch). set_authorizer, set_progress_handler and set_trace_callback with a
callback, load_extension and blobopen raise NotSupportedError.
"""

import json as _json
import base64 as _base64
import os as _os

import cordon as _cordon


def _ask(op, **fields):
    fields["op"] = op
    reply = _json.loads(_cordon._bridge.sqlite(_json.dumps(fields)))
    if "e" in reply:
        kind, message, name = reply["e"]
        cls = _ERRORS.get(kind)
        if cls is None:
            cls = {"MemoryError": MemoryError, "OverflowError": OverflowError, "ImportError": ImportError}.get(
                kind, DatabaseError)
        error = cls(message)
        if isinstance(error, Error) and name:
            error.sqlite_errorname = name
            error.sqlite_errorcode = _CODES.get("_".join(name.split("_")[:2]))
        raise error
    return reply["v"]


class Warning(Exception):
    pass


class Error(Exception):
    sqlite_errorcode = None
    sqlite_errorname = None


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class InternalError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class DataError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


for _cls in (Warning, Error, InterfaceError, DatabaseError, InternalError, OperationalError, ProgrammingError,
             IntegrityError, DataError, NotSupportedError):
    _cls.__module__ = "sqlite3"
_ERRORS = {c.__name__: c for c in (InterfaceError, DatabaseError, InternalError, OperationalError,
                                   ProgrammingError, IntegrityError, DataError, NotSupportedError)}

try:
    sqlite_version = _ask("version")
except ImportError as _e:
    raise ImportError("sqlite3 is not available in this sandbox: " + str(_e), name="_sqlite3") from None

# What the guest registered for SQL to call back, by number, and the aggregates' groups now open.
_registered = {}
_groups = {}


def _register(target):
    fid = len(_registered) + 1
    _registered[fid] = target
    return fid


def _dispatch(request):
    """One call of SQL back into Python; never raises (the statement fails with CPython's message instead)."""
    try:
        r = _json.loads(request)
        kind, fid = r["kind"], r["fid"]
        target = _registered[fid]
        if kind == "func":
            value = target(*[_decode(a) for a in r["args"]])
        elif kind == "step":
            key = (fid, r["agg"])
            group = _groups.get(key)
            if group is None:
                group = _groups[key] = target()
            group.step(*[_decode(a) for a in r["args"]])
            value = None
        elif kind == "final":
            group = _groups.pop((fid, r["agg"]), None)
            value = (group if group is not None else target()).finalize()
        else:
            value = target(r["a"], r["b"])
            if not isinstance(value, int):
                raise TypeError("a collation must return an int")
        return _json.dumps({"v": _result(value)})
    except Exception as e:
        return _json.dumps({"e": "%s: %s" % (type(e).__name__, e)})


def _result(v):
    if v is None or isinstance(v, (int, float, str, bytes, bytearray, memoryview)):
        return _value(v)
    raise TypeError("a user-defined function returned an unsupported type")


_cordon._bridge.sqliteCallbacks(_dispatch)

_deprecated_version = "2.6.0"
threadsafety = 1
PARSE_DECLTYPES = 1
PARSE_COLNAMES = 2
LEGACY_TRANSACTION_CONTROL = -1
SQLITE_OK, SQLITE_DENY, SQLITE_IGNORE = 0, 1, 2
_CODES = {"SQLITE_ERROR": 1, "SQLITE_INTERNAL": 2, "SQLITE_PERM": 3, "SQLITE_ABORT": 4, "SQLITE_BUSY": 5,
          "SQLITE_LOCKED": 6, "SQLITE_NOMEM": 7, "SQLITE_READONLY": 8, "SQLITE_INTERRUPT": 9, "SQLITE_IOERR": 10,
          "SQLITE_CORRUPT": 11, "SQLITE_NOTFOUND": 12, "SQLITE_FULL": 13, "SQLITE_CANTOPEN": 14,
          "SQLITE_PROTOCOL": 15, "SQLITE_EMPTY": 16, "SQLITE_SCHEMA": 17, "SQLITE_TOOBIG": 18,
          "SQLITE_CONSTRAINT": 19, "SQLITE_MISMATCH": 20, "SQLITE_MISUSE": 21, "SQLITE_NOLFS": 22,
          "SQLITE_AUTH": 23, "SQLITE_FORMAT": 24, "SQLITE_RANGE": 25, "SQLITE_NOTADB": 26, "SQLITE_NOTICE": 27,
          "SQLITE_WARNING": 28, "SQLITE_ROW": 100, "SQLITE_DONE": 101}
globals().update(_CODES)
_LIMITS = ("LENGTH", "SQL_LENGTH", "COLUMN", "EXPR_DEPTH", "COMPOUND_SELECT", "VDBE_OP", "FUNCTION_ARG",
           "ATTACHED", "LIKE_PATTERN_LENGTH", "VARIABLE_NUMBER", "TRIGGER_DEPTH", "WORKER_THREADS")
for _i, _name in enumerate(_LIMITS):
    globals()["SQLITE_LIMIT_" + _name] = _i


class PrepareProtocol(object):
    __module__ = "sqlite3"


adapters = {}
converters = {}


def register_adapter(type, adapter, /):
    adapters[(type, PrepareProtocol)] = adapter


def register_converter(typename, converter, /):
    converters[typename.upper()] = converter


def adapt(obj, proto=PrepareProtocol, alt=None, /):
    adapter = adapters.get((type(obj), proto))
    if adapter is not None:
        return adapter(obj)
    conform = getattr(obj, "__conform__", None)
    if conform is not None:
        adapted = conform(proto)
        if adapted is not None:
            return adapted
    if alt is not None:
        return alt
    raise ProgrammingError("can't adapt")


def enable_callback_tracebacks(flag, /):
    pass


def complete_statement(statement):
    """Whether the text ends a statement: a semicolon outside strings, names and comments, last of all."""
    ended = False
    i, n = 0, len(statement)
    while i < n:
        c = statement[i]
        if c in "'\"`[":
            close = "]" if c == "[" else c
            j = statement.find(close, i + 1)
            if j < 0:
                return False
            i, ended = j + 1, False
        elif statement.startswith("--", i):
            j = statement.find("\n", i)
            i = n if j < 0 else j + 1
        elif statement.startswith("/*", i):
            j = statement.find("*/", i + 2)
            if j < 0:
                return False
            i = j + 2
        else:
            if c == ";":
                ended = True
            elif not c.isspace():
                ended = False
            i += 1
    return ended


_NATIVE = (int, float, str, bytes, type(None))


def _value(v):
    t = type(v)
    if t not in _NATIVE:
        adapter = adapters.get((t, PrepareProtocol))
        if adapter is not None:
            v = adapter(v)
        elif isinstance(v, (bytearray, memoryview)):
            v = bytes(v)
        elif hasattr(v, "__conform__"):
            adapted = v.__conform__(PrepareProtocol)
            if adapted is not None:
                v = adapted
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        if not -2 ** 63 <= v < 2 ** 63:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return int(v)
    if isinstance(v, float):
        return {"f": repr(float(v))}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"b": _base64.b64encode(bytes(v)).decode("ascii")}
    raise ProgrammingError("Error binding parameter: type %r is not supported" % type(v).__name__)


def _params(parameters):
    if parameters is None:
        return []
    if isinstance(parameters, dict) or (hasattr(parameters, "keys") and hasattr(parameters, "__getitem__")
                                        and not isinstance(parameters, (tuple, list))):
        return {str(k): _value(parameters[k]) for k in parameters.keys()}
    if isinstance(parameters, (str, bytes)) or not hasattr(parameters, "__len__"):
        raise ProgrammingError("parameters are of unsupported type")
    return [_value(parameters[i]) for i in range(len(parameters))]


def _decode(v):
    if isinstance(v, dict):
        if "b" in v:
            return _base64.b64decode(v["b"])
        return float(v["f"])
    return v


class Connection(object):
    __module__ = "sqlite3"

    def __init__(self, database, timeout=5.0, detect_types=0, isolation_level="", check_same_thread=True,
                 factory=None, cached_statements=128, uri=False, *, autocommit=LEGACY_TRANSACTION_CONTROL):
        if autocommit is False:
            raise NotSupportedError("autocommit=False is not available in the sandbox; use the default "
                                    "(LEGACY_TRANSACTION_CONTROL) or True")
        path, mode = self._where(database, uri)
        self._db = None
        self._db = _ask("open", path=path, mode=mode)
        self._detect_types = detect_types
        self._isolation_level = None
        self.isolation_level = isolation_level
        self._in_transaction = False
        self.row_factory = None
        self.text_factory = str
        self.autocommit = autocommit
        for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                     "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"):
            setattr(self, name, globals()[name])

    @staticmethod
    def _where(database, uri):
        if isinstance(database, bytes):
            database = database.decode()
        database = _os.fspath(database)
        if isinstance(database, bytes):
            database = database.decode()
        mode = "rwc"
        if uri and database.startswith("file:"):
            rest = database[5:]
            query = {}
            if "?" in rest:
                rest, q = rest.split("?", 1)
                for item in q.split("&"):
                    if "=" in item:
                        k, v = item.split("=", 1)
                        query[k] = v
            if rest.startswith("//"):
                rest = rest[2:]
                if not rest.startswith("/"):
                    host, _, rest = rest.partition("/")
                    rest = "/" + rest
            from urllib.parse import unquote
            database = unquote(rest)
            mode = query.get("mode", "rwc")
            if mode == "memory":
                return None, "rwc"
            if mode not in ("ro", "rw", "rwc"):
                raise OperationalError("no such access mode: " + mode)
        if database in (":memory:", ""):
            return None, mode
        return _os.path.abspath(database), mode

    def _check(self):
        if self._db is None:
            raise ProgrammingError("Cannot operate on a closed database.")

    @property
    def isolation_level(self):
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, level):
        if level is None:
            if self._db is not None and getattr(self, "_in_transaction", False):
                self.commit()
        elif not isinstance(level, str):
            raise TypeError("isolation_level must be str or None")
        elif level.upper() not in ("", "DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError("isolation_level string must be '', 'DEFERRED', 'IMMEDIATE', or 'EXCLUSIVE'")
        self._isolation_level = level

    @property
    def in_transaction(self):
        self._check()
        return self._in_transaction

    @property
    def total_changes(self):
        self._check()
        return _ask("changes", db=self._db)

    def _begin(self):
        return None if self.autocommit is True else self._isolation_level

    def cursor(self, factory=None):
        self._check()
        cursor = (factory or Cursor)(self)
        if self.row_factory is not None and cursor.row_factory is None:
            cursor.row_factory = self.row_factory
        return cursor

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        return self.cursor().executemany(sql, parameters)

    def executescript(self, sql_script, /):
        return self.cursor().executescript(sql_script)

    def commit(self):
        self._check()
        self._in_transaction = _ask("commit", db=self._db)["intx"]

    def rollback(self):
        self._check()
        self._in_transaction = _ask("rollback", db=self._db)["intx"]

    def close(self):
        if self._db is not None:
            _ask("close", db=self._db)
            self._db = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.commit()
        else:
            self.rollback()
        return False

    def __call__(self, sql):
        raise NotSupportedError("prepared statements are not available in the sandbox; use execute()")

    def interrupt(self):
        self._check()

    def iterdump(self):
        from sqlite3.dump import _iterdump
        return _iterdump(self)

    def backup(self, target, *, pages=-1, progress=None, name="main", sleep=0.25):
        self._check()
        target._check()
        if name != "main":
            raise OperationalError("unknown database " + name)
        _ask("copy", src=self._db, dst=target._db)
        if progress is not None:
            progress(0, 1, 1)

    def serialize(self, *, name="main"):
        self._check()
        return _decode(_ask("serialize", db=self._db))

    def deserialize(self, data, /, *, name="main"):
        self._check()
        _ask("deserialize", db=self._db, data=_value(bytes(data)))

    def _no_callbacks(self, what):
        raise NotSupportedError("%s is not available in the sandbox" % what)

    def _create(self, kind, name, narg, target, **flags):
        self._check()
        if not isinstance(name, str):
            raise TypeError("%s() argument 'name' must be str, not %s" % (kind, type(name).__name__))
        if narg < -1 or narg > 127:
            raise ProgrammingError("too many arguments" if narg > 127 else "bad number of arguments")
        _ask(kind, db=self._db, name=name, narg=narg, fid=None if target is None else _register(target), **flags)

    def create_function(self, name, narg, func, *, deterministic=False):
        self._create("function", name, narg, func, deterministic=bool(deterministic))

    def create_aggregate(self, name, n_arg, aggregate_class):
        self._create("aggregate", name, n_arg, aggregate_class)

    def create_window_function(self, name, num_params, aggregate_class, /):
        self._no_callbacks("create_window_function")

    def create_collation(self, name, callable, /):
        if callable is not None and not hasattr(callable, "__call__"):
            raise TypeError("parameter must be callable")
        self._create("collation", name, -1, callable)

    def set_authorizer(self, authorizer_callback):
        if authorizer_callback is not None:
            self._no_callbacks("set_authorizer")

    def set_progress_handler(self, progress_handler, n):
        if progress_handler is not None:
            self._no_callbacks("set_progress_handler")

    def set_trace_callback(self, trace_callback):
        if trace_callback is not None:
            self._no_callbacks("set_trace_callback")

    def enable_load_extension(self, enabled, /):
        raise NotSupportedError("extensions are native code, which the sandbox does not run")

    def load_extension(self, name, /, *, entrypoint=None):
        raise NotSupportedError("extensions are native code, which the sandbox does not run")

    def blobopen(self, table, column, row, /, *, readonly=False, name="main"):
        raise NotSupportedError("blobopen is not available in the sandbox; read the value with a SELECT")

    def getlimit(self, category, /):
        raise NotSupportedError("SQLite's limits are set by the sandbox")

    def setlimit(self, category, limit, /):
        raise NotSupportedError("SQLite's limits are set by the sandbox")

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Cursor(object):
    __module__ = "sqlite3"

    def __init__(self, connection, /):
        if not isinstance(connection, Connection):
            raise TypeError("Cursor needs a Connection")
        self.connection = connection
        self.arraysize = 1
        self.row_factory = None
        self._reset()
        self.lastrowid = None
        self._closed = False

    def _reset(self):
        self.description = None
        self.rowcount = -1
        self._rows = []
        self._at = 0
        self._cur = None
        self._cols = None
        self._converters = None

    def _check(self):
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")
        self.connection._check()

    def _drop(self):
        if self._cur is not None:
            try:
                _ask("closecur", cur=self._cur)
            except Error:
                pass
            self._cur = None

    def execute(self, sql, parameters=(), /):
        return self._execute(sql, params=_params(parameters))

    def executemany(self, sql, seq_of_parameters, /):
        return self._execute(sql, many=[_params(p) for p in seq_of_parameters])

    def _execute(self, sql, **what):
        self._check()
        if not isinstance(sql, str):
            raise TypeError("execute() argument 1 must be str, not %s" % type(sql).__name__)
        self._drop()
        self._reset()
        conn = self.connection
        try:
            reply = _ask("exec", db=conn._db, sql=sql, begin=conn._begin(), **what)
        finally:
            pass
        conn._in_transaction = reply["intx"]
        self.rowcount = reply["rowcount"]
        if "lastrowid" in reply:
            self.lastrowid = reply["lastrowid"]
        cols = reply["cols"]
        if cols is not None:
            self._describe(cols)
        self._rows = reply["rows"]
        self._cur = reply["cur"]
        return self

    def _describe(self, cols):
        detect = self.connection._detect_types
        names = []
        conv = []
        for name, decltype in cols:
            converter = None
            if detect & PARSE_COLNAMES and "[" in name and name.endswith("]"):
                start = name.index("[")
                converter = converters.get(name[start + 1:-1].upper())
            if detect & PARSE_COLNAMES:
                cut = name.find(" [")
                if cut >= 0:
                    name = name[:cut]
            if converter is None and detect & PARSE_DECLTYPES and decltype:
                converter = converters.get(decltype.split("(")[0].split()[0].upper())
            names.append(name)
            conv.append(converter)
        self.description = tuple((n, None, None, None, None, None, None) for n in names)
        self._converters = conv if any(conv) else None

    def executescript(self, sql_script, /):
        self._check()
        if not isinstance(sql_script, str):
            raise ValueError("script argument must be unicode.")
        self._drop()
        self._reset()
        conn = self.connection
        if conn._in_transaction and conn._begin() is not None:
            conn.commit()
        conn._in_transaction = _ask("script", db=conn._db, sql=sql_script)["intx"]
        return self

    def _row(self, raw):
        text_factory = self.connection.text_factory
        values = []
        for i, v in enumerate(raw):
            converter = self._converters[i] if self._converters else None
            if converter is not None and v is not None:
                v = _decode(v)
                if isinstance(v, str):
                    v = v.encode("utf-8")
                elif not isinstance(v, bytes):
                    v = repr(v).encode() if isinstance(v, float) else str(v).encode()
                v = converter(v)
            else:
                v = _decode(v)
                if isinstance(v, str) and text_factory is not str:
                    v = text_factory(v.encode("utf-8"))
            values.append(v)
        row = tuple(values)
        factory = self.row_factory
        if factory is not None:
            row = factory(self, row)
        return row

    def _next_raw(self):
        if self._at >= len(self._rows):
            if self._cur is None:
                return None
            reply = _ask("fetch", cur=self._cur, n=max(256, self.arraysize))
            self._rows, self._at, self._cur = reply["rows"], 0, reply["cur"]
            if not self._rows:
                return None
        raw = self._rows[self._at]
        self._at += 1
        return raw

    def fetchone(self):
        self._check()
        raw = self._next_raw()
        return None if raw is None else self._row(raw)

    def fetchmany(self, size=None):
        self._check()
        size = self.arraysize if size is None else size
        out = []
        while len(out) < size:
            raw = self._next_raw()
            if raw is None:
                break
            out.append(self._row(raw))
        return out

    def fetchall(self):
        self._check()
        out = []
        while True:
            raw = self._next_raw()
            if raw is None:
                return out
            out.append(self._row(raw))

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self):
        self._drop()
        self._closed = True

    def setinputsizes(self, sizes, /):
        pass

    def setoutputsize(self, size, column=None, /):
        pass


class Row(object):
    __module__ = "sqlite3"
    __slots__ = ("_values", "_names")

    def __init__(self, cursor, data, /):
        if not isinstance(cursor, Cursor):
            raise TypeError("Row needs a Cursor")
        self._values = tuple(data)
        self._names = tuple(d[0] for d in (cursor.description or ()))

    def keys(self):
        return list(self._names)

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return iter(self._values)

    def __getitem__(self, key):
        if isinstance(key, str):
            lower = key.lower()
            for i, name in enumerate(self._names):
                if name.lower() == lower:
                    return self._values[i]
            raise IndexError("No item with that key")
        return self._values[key]

    def __eq__(self, other):
        if not isinstance(other, Row):
            return NotImplemented
        return self._names == other._names and self._values == other._values

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash(self._names) ^ hash(self._values)

    def __repr__(self):
        return "<sqlite3.Row object at %#x>" % id(self)


class Blob(object):
    __module__ = "sqlite3"

    def __init__(self, *args, **kwargs):
        raise NotSupportedError("blobs are not available in the sandbox")


def connect(database, timeout=5.0, detect_types=0, isolation_level="", check_same_thread=True,
            factory=Connection, cached_statements=128, uri=False, *, autocommit=LEGACY_TRANSACTION_CONTROL):
    return factory(database, timeout, detect_types, isolation_level, check_same_thread, factory,
                   cached_statements, uri, autocommit=autocommit)
