package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.capabilities.Grants;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Session;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * asyncio in the sandbox (_cordon_graalpy/event_loop.py): the loop's wake-up is in memory, so timers, tasks,
 * queues, timeouts and {@code call_soon_threadsafe} work with no socket, while waiting on a descriptor, name
 * resolution and connections stay refused, and a loop that waits for ever ends at the call's limit.
 */
class AsyncioTest {

    @Test
    void tasksTimersQueuesAndTimeoutsWorkAsOnCPython() {
        ExecutionResult r = SharedCordon.run("""
                import asyncio, time

                async def producer(q, n):
                    for i in range(n):
                        await asyncio.sleep(0.001)
                        await q.put(i)
                    await q.put(None)

                async def consumer(q):
                    got = []
                    while (item := await q.get()) is not None:
                        got.append(item)
                    return got

                async def square(i):
                    await asyncio.sleep(0.01 * (5 - i))
                    return i * i

                async def main():
                    q = asyncio.Queue(maxsize=2)
                    _, got = await asyncio.gather(producer(q, 10), consumer(q))
                    assert got == list(range(10)), got
                    assert await asyncio.gather(*(square(i) for i in range(5))) == [0, 1, 4, 9, 16]
                    start = time.monotonic()
                    try:
                        await asyncio.wait_for(asyncio.sleep(30), 0.05)
                        raise AssertionError('no timeout')
                    except TimeoutError:
                        pass
                    assert 0.04 <= time.monotonic() - start < 5
                    try:
                        async with asyncio.timeout(0.02):
                            await asyncio.sleep(30)
                    except TimeoutError:
                        pass
                    async with asyncio.TaskGroup() as tg:
                        tasks = [tg.create_task(square(i)) for i in range(3)]
                    assert [t.result() for t in tasks] == [0, 1, 4]
                    loop = asyncio.get_running_loop()
                    fut = loop.create_future()
                    loop.call_soon_threadsafe(fut.set_result, 'woken')
                    assert await fut == 'woken'
                    lock, event = asyncio.Lock(), asyncio.Event()
                    async with lock:
                        loop.call_later(0.01, event.set)
                        await event.wait()
                    return type(loop).__name__

                print(asyncio.run(main()))
                loop = asyncio.new_event_loop()
                print(loop.run_until_complete(square(3)))
                loop.close()
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("_UnixSelectorEventLoop\n9\n");
    }

    @Test
    void connectionsNameLookupsDescriptorsAndThreadsStayRefused() {
        ExecutionResult r = SharedCordon.run("""
                import asyncio, os

                async def main():
                    out = []
                    for what, attempt in [
                            ('connect', lambda: asyncio.open_connection('127.0.0.1', 80)),
                            ('resolve', lambda: asyncio.get_running_loop().getaddrinfo('example.org', 443)),
                            ('serve', lambda: asyncio.start_server(lambda r, w: None, '127.0.0.1', 0))]:
                        try:
                            await attempt()
                            out.append(what + ': allowed')
                        except PermissionError as e:
                            out.append(what + ': PermissionError')
                    try:
                        asyncio.get_running_loop().add_reader(0, print)
                    except PermissionError as e:
                        out.append('add_reader: ' + e.strerror)
                    try:
                        await asyncio.to_thread(print, 'x')
                    except RuntimeError as e:
                        out.append('to_thread: ' + str(e))
                    return out

                print('\\n'.join(asyncio.run(main())))
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                connect: PermissionError
                resolve: PermissionError
                serve: PermissionError
                add_reader: Operation not permitted: waiting on a file descriptor is not available in the sandbox \
                (asyncio runs timers, tasks and queues here, without sockets, pipes or subprocesses)
                to_thread: can't start new thread: the call's thread limit is 0 (Limits.threads; cordon run --threads N)
                """);
        assertThat(r.events()).as("the refusals are audited")
                .anySatisfy(e -> assertThat(e.toString()).contains("getaddrinfo"));
    }

    @Test
    void aLoopThatWaitsForEverEndsAtTheCallsLimit() {
        for (String code : new String[]{
                "import asyncio\nasyncio.get_event_loop_policy().new_event_loop().run_forever()",
                "import asyncio\nasyncio.run(asyncio.sleep(3600))",
                "import asyncio\nasync def f():\n    await asyncio.Event().wait()\nasyncio.run(f())"}) {
            ExecutionResult r = SharedCordon.get().run(Execution.builder().code(code)
                    .limits(Limits.builder().wallTime(Duration.ofSeconds(3)).build()).build());
            assertThat(r.status()).as(code).isEqualTo(Status.TIMEOUT);
            assertThat(r.usage().wallMillis()).as(code).isLessThan(3_500);
        }
        assertThat(SharedCordon.run("print('next')").stdout()).isEqualTo("next\n");
    }

    @Test
    void aSessionRunsALoopInEachCall() {
        try (Session s = SharedCordon.get().session("asyncio", Grants.none())) {
            assertThat(s.run(code("import asyncio\nasync def f(x):\n    await asyncio.sleep(0)\n    return x\n"
                    + "print(asyncio.run(f(1)))")).stdout()).isEqualTo("1\n");
            assertThat(s.run(code("print(asyncio.run(f(2)))")).stdout()).isEqualTo("2\n");
        }
    }

    private static Execution code(String code) {
        return Execution.builder().principal("asyncio").code(code).build();
    }
}
