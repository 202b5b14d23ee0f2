"""asyncio in a sandbox that has no file descriptor to wait on.

asyncio's selector event loop wakes itself through a socket pair (its "self-pipe") and waits in
select() on the descriptors of its sockets, pipes and subprocesses. In the sandbox no socket can be
made, so asyncio.run() failed at its first step. The loop installed here is asyncio's own selector
loop with two parts replaced: the wake-up is an in-memory condition, and the selector waits only
for time and for that wake-up. Timers, tasks, futures, queues, locks, timeouts, gather and
call_soon_threadsafe work as on CPython; waiting on a descriptor (add_reader, open_connection,
subprocesses) is refused with PermissionError, as the sockets themselves are.

It is installed when the guest first imports asyncio (_cordon_graalpy.after_import), so a program
that never uses asyncio pays nothing.
"""


_REFUSED = ("Operation not permitted: waiting on a file descriptor is not available in the sandbox "
            "(asyncio runs timers, tasks and queues here, without sockets, pipes or subprocesses)")


def install(asyncio):
    """Makes the sandbox loop the one every policy, asyncio.run() and asyncio.new_event_loop() create."""
    import errno
    import selectors
    import socket
    import threading
    import types
    from asyncio import unix_events

    class SandboxSelector(selectors.BaseSelector):
        """Waits for a timeout or for the loop's wake-up; holds no descriptor, and takes none."""

        _EMPTY = types.MappingProxyType({})

        def __init__(self):
            self._woken = False
            self._condition = threading.Condition(threading.Lock())

        def register(self, fileobj, events, data=None):
            raise PermissionError(errno.EPERM, _REFUSED)

        def unregister(self, fileobj):
            raise KeyError("{!r} is not registered".format(fileobj))

        def select(self, timeout=None):
            with self._condition:
                if not self._woken:
                    if timeout is None:
                        self._condition.wait()
                    elif timeout > 0:
                        self._condition.wait(timeout)
                self._woken = False
            return []

        def wake(self):
            with self._condition:
                self._woken = True
                self._condition.notify()

        def get_map(self):
            return self._EMPTY

    class SandboxEventLoop(unix_events.SelectorEventLoop):
        """asyncio's selector event loop, woken in memory instead of through a socket pair."""

        def __init__(self, selector=None):
            super().__init__(SandboxSelector())

        def _make_self_pipe(self):
            self._ssock = self._csock = None

        def _close_self_pipe(self):
            pass

        def _write_to_self(self):
            selector = self._selector
            if selector is not None:
                selector.wake()

        async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):
            # Asked inline, not on an executor's thread: the sandbox refuses it at once, as it refuses sockets.
            return socket.getaddrinfo(host, port, family, type, proto, flags)

        async def getnameinfo(self, sockaddr, flags=0):
            return socket.getnameinfo(sockaddr, flags)

        async def shutdown_default_executor(self, timeout=None):
            executor = self._default_executor
            if executor is not None and not getattr(executor, "_threads", True):
                # It never started a thread (none may be started here), so there is nothing to wait for, and
                # asyncio's own shutdown would start one to do it.
                self._executor_shutdown_called = True
                executor.shutdown(wait=True)
                return
            await super().shutdown_default_executor(timeout)

        def add_signal_handler(self, sig, callback, *args):
            raise RuntimeError("signal handling is not available in the sandbox")

        def remove_signal_handler(self, sig):
            return False

    SandboxEventLoop.__module__ = "asyncio.unix_events"
    SandboxEventLoop.__qualname__ = SandboxEventLoop.__name__ = "_UnixSelectorEventLoop"
    for module in (unix_events, asyncio):
        module.SelectorEventLoop = SandboxEventLoop
    unix_events._UnixDefaultEventLoopPolicy._loop_factory = SandboxEventLoop
