"""The link to the host when the interpreter runs in an external PyPy sandbox process.

The process can do nothing but system calls that Cordon's controller serves, so the bridge the
`cordon` and `cordon.gateway` modules use is a special file, /dev/cordon/gateway: each request is
one write of a netstring holding netstrings (the operation and its text fields), each reply one
netstring. It has the same methods as the in-process bridge, so nothing above it knows the
difference. Works on Python 2.7 and on Python 3.
"""

import os

DEVICE = "/dev/cordon/gateway"


def _netstring(data):
    return str(len(data)).encode("ascii") + b":" + data + b","


def _utf8(text):
    return text.encode("utf-8") if not isinstance(text, bytes) else text


class DeviceBridge(object):
    def __init__(self, path=DEVICE):
        self._fd = os.open(path, os.O_RDWR)

    def _ask(self, op, *fields):
        body = _netstring(_utf8(op)) + b"".join(_netstring(_utf8(f)) for f in fields)
        request = _netstring(body)
        while request:
            n = os.write(self._fd, request)
            request = request[n:]
        length = b""
        while True:
            ch = os.read(self._fd, 1)
            if not ch:
                raise RuntimeError("the host closed the gateway")
            if ch == b":":
                break
            length += ch
        n = int(length)
        data = b""
        while len(data) < n + 1:
            chunk = os.read(self._fd, n + 1 - len(data))
            if not chunk:
                raise RuntimeError("the host closed the gateway")
            data += chunk
        return data[:n].decode("utf-8")

    def params(self):
        return self._ask("params")

    def result(self, text):
        return self._ask("result", text) or None

    def gatewayConnect(self, service):
        return self._ask("connect", service)

    def gatewayAttach(self, token):
        return self._ask("attach", token)

    def gatewayCall(self, token, operation, arguments):
        return self._ask("call", token, operation, arguments)

    def deny(self, category, action, target):
        self._ask("deny", category, action, target)

    def argv(self):
        return self._ask("argv")

    def world(self):
        return self._ask("world")

    def source_name(self):
        return self._ask("source")

    def error(self, type_name, message, traceback_text):
        self._ask("error", type_name, message, traceback_text)
