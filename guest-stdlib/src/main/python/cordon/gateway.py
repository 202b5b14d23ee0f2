"""Gateway tokens: guest code's only way to reach host services.

    from cordon import gateway
    db = gateway.connect("db")        # PermissionError unless the call was granted gateway:db
    rows = db.query("SELECT name FROM users WHERE id = ?", [3])   # a list of dicts
    db.call("operation", arg1, arg2)  # any operation of any service
    db.token                          # the opaque token, to pass around as data
    gateway.attach(token)             # a handle again, in the same call only

A token stands for one service in this one call and dies when the call ends. A forged, stale or
foreign token raises PermissionError. Errors of a service arrive as ordinary Python exceptions:
PermissionError, ValueError, LookupError, TimeoutError or RuntimeError.

Works on Python 3 and on Python 2.7.
"""

import cordon as _cordon

_json = _cordon._json()

try:
    _TEXT = (str, unicode)
except NameError:  # Python 3
    _TEXT = (str,)

try:
    PermissionError = PermissionError
    TimeoutError = TimeoutError
except NameError:  # Python 2.7
    class PermissionError(OSError):
        pass

    class TimeoutError(OSError):
        pass

_ERRORS = {
    "PermissionError": PermissionError,
    "ValueError": ValueError,
    "LookupError": LookupError,
    "TimeoutError": TimeoutError,
    "RuntimeError": RuntimeError,
}

__all__ = ["connect", "attach", "Handle"]


def _transport():
    bridge = _cordon._bridge
    if bridge is None:
        raise RuntimeError("cordon.gateway works only inside a Cordon sandbox")
    return bridge


def _reply(text):
    if text[0] == "v":
        body = text[1:]
        return None if body == "null" else _json.loads(body)
    error = _json.loads(text[1:])
    raise _ERRORS.get(error.get("type"), RuntimeError)(error.get("message", "gateway error"))


def connect(service):
    """A handle on a service this call was granted (gateway:<service>)."""
    if not isinstance(service, _TEXT):
        raise TypeError("a service name is a string")
    return Handle(_reply(_transport().gatewayConnect(service)), service)


def attach(token):
    """A handle from a token received as data; it must have been issued in this same call."""
    if not isinstance(token, _TEXT):
        raise TypeError("a token is a string")
    return Handle(token, _reply(_transport().gatewayAttach(token)))


class Handle(object):
    """A service reached through a token. Holds nothing but the token and the service's name."""

    __slots__ = ("_token", "_service")

    def __init__(self, token, service):
        self._token = token
        self._service = service

    @property
    def token(self):
        """The opaque token string."""
        return self._token

    @property
    def service(self):
        """The name of the service."""
        return self._service

    def call(self, operation, *args):
        """Calls an operation with JSON-compatible arguments; returns its JSON-compatible result."""
        payload = "[]" if not args else _json.dumps(list(args), allow_nan=False)
        return _reply(_transport().gatewayCall(self._token, operation, payload))

    def query(self, sql, params=()):
        """SQL services: the rows of one parameterised statement, as a list of dicts."""
        return self.call("query", sql, list(params))

    def execute(self, sql, params=()):
        """SQL services: runs one parameterised change; returns {"rowcount": n}."""
        return self.call("execute", sql, list(params))

    def __repr__(self):
        return "<cordon.gateway.Handle for %r>" % (self._service,)
