package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.AuditEvent;
import dev.cordon.capabilities.gateway.GatewayException;
import dev.cordon.capabilities.services.KeyValueService;
import dev.cordon.capabilities.services.SqlService;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Guest code reaching real services through tokens, on the real GraalPy. */
class GatewayTest {

    @TempDir
    static Path dir;
    static Path dbFile;
    static Cordon cordon;
    /** The application's own ledger, changed only by the "bank" service. */
    static final Map<String, Integer> BALANCES = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        dbFile = dir.resolve("zoobar.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (name TEXT PRIMARY KEY, zoobars INTEGER, profile TEXT)");
            s.execute("INSERT INTO users VALUES ('alice', 10, 'hi'), ('bob', 5, 'yo')");
        }
        BALANCES.put("alice", 10);
        BALANCES.put("bob", 10);
        cordon = Cordon.builder()
                .service("db", SqlService.sqlite(dbFile).timeout(Duration.ofMillis(500)).maxRows(50).build())
                .service("cache", KeyValueService.builder().build())
                .service("board", KeyValueService.builder().shared(true).build())
                .service("boom", (ctx, op, args) -> {
                    throw new IllegalStateException("password=hunter2 at " + dbFile);
                })
                // An application service: the source of a transfer is always the calling principal.
                .service("bank", (ctx, op, args) -> {
                    if (!op.equals("transfer") || args.size() != 2 || !(args.get(0) instanceof String to)
                            || !(args.get(1) instanceof Integer amount)) {
                        throw GatewayException.invalid("transfer(to, amount)");
                    }
                    String from = ctx.principal().name();
                    synchronized (BALANCES) {
                        if (amount <= 0 || BALANCES.getOrDefault(from, 0) < amount) {
                            throw GatewayException.invalid("insufficient zoobars");
                        }
                        BALANCES.merge(from, -amount, Integer::sum);
                        BALANCES.merge(to, amount, Integer::sum);
                    }
                    return Map.of("from", from, "to", to, "amount", amount);
                })
                .maxConcurrentRuns(8).maxQueuedRuns(200)
                .defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    private static ExecutionResult run(String principal, String code, String... grants) {
        return SharedCordon.run(cordon, principal, code, grants);
    }

    @Test
    void guestCodeReadsTheDatabaseAndTheCacheThroughTokens() {
        ExecutionResult r = run("alice", """
                from cordon import gateway
                db = gateway.connect('db')
                rows = db.query('SELECT name, zoobars FROM users WHERE zoobars >= ? ORDER BY name', [5])
                cache = gateway.connect('cache')
                cache.call('set', 'seen', rows)
                print(rows, cache.call('get', 'seen') == rows, cache.call('incr', 'visits'))
                print(type(rows[0]).__name__, type(db.token).__name__, len(db.token) >= 32)
                """, "gateway:db", "gateway:cache");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("[{'name': 'alice', 'zoobars': 10}, {'name': 'bob', 'zoobars': 5}] True 1\n"
                + "dict str True\n");
        assertThat(r.events()).filteredOn(e -> e.category().equals("gateway") && e.action().equals("query"))
                .singleElement().satisfies(e -> {
                    assertThat(e.outcome()).isEqualTo(AuditEvent.Outcome.ALLOWED);
                    assertThat(e.target()).isEqualTo("db");
                    assertThat(e.duration()).isPositive();
                });
    }

    @Test
    void everyMisuseIsACatchablePythonExceptionAndAnAuditEvent() {
        ExecutionResult r = run("mallory", """
                from cordon import gateway
                def attempt(f):
                    try:
                        f()
                        return 'ok'
                    except Exception as e:
                        return type(e).__name__
                db = gateway.connect('db')
                print(attempt(lambda: gateway.connect('cache')))
                print(attempt(lambda: gateway.connect('nonexistent')))
                print(attempt(lambda: gateway.attach('cgt1.' + 'A' * 32)))
                print(attempt(lambda: gateway.attach(db.token[:-1] + ('A' if db.token[-1] != 'A' else 'B'))))
                print(attempt(lambda: db.query('DELETE FROM users')))
                print(attempt(lambda: db.query("SELECT 1; UPDATE users SET zoobars = 999")))
                print(attempt(lambda: db.execute('UPDATE users SET zoobars = 999')))
                print(attempt(lambda: db.query('SELECT * FROM nowhere')))
                print(attempt(lambda: db.call('drop_everything')))
                print(attempt(lambda: db.query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) SELECT count(*) FROM n")))
                print(attempt(lambda: db.query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000) SELECT i FROM n")))
                print(attempt(lambda: db.query('SELECT ?', [{'not': 'a scalar'}])))
                print(attempt(lambda: db.call('query', object())))
                print(db.query("SELECT count(*) AS n FROM users WHERE name = ?", ["alice' OR '1'='1"]))
                """, "gateway:db");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo(String.join("\n", "PermissionError", "PermissionError", "PermissionError",
                "PermissionError", "PermissionError", "ValueError", "PermissionError", "ValueError", "LookupError",
                "TimeoutError", "RuntimeError", "ValueError", "TypeError", "[{'n': 0}]", ""));
        assertThat(r.events()).filteredOn(e -> e.category().equals("gateway") && e.outcome() != AuditEvent.Outcome.ALLOWED)
                .hasSizeGreaterThanOrEqualTo(11);
    }

    @Test
    void aTokenDiesWithItsExecution() {
        ExecutionResult first = run("alice", """
                from cordon import gateway
                import cordon
                cordon.result(gateway.connect('db').token)
                """, "gateway:db");
        String token = (String) first.value();
        ExecutionResult third = cordon.run(Execution.builder().principal("alice").grant("gateway:db")
                .param("token", token).code("""
                        from cordon import gateway
                        import cordon
                        try:
                            gateway.attach(cordon.params['token']).query('SELECT 1')
                        except PermissionError as e:
                            print('PermissionError', e)
                        """).build());
        assertThat(third.stdout()).isEqualTo("PermissionError unknown, revoked or expired gateway token\n");
    }

    @Test
    void aHundredConcurrentRunsEachUseOnlyTheirOwnToken() {
        String code = """
                from cordon import gateway
                import cordon
                me = cordon.params['n']
                db = gateway.connect('db')
                board = gateway.connect('board')
                board.call('set', 'token-%d' % me, db.token)
                stolen = 0
                refused = 0
                for i in range(100):
                    other = board.call('get', 'token-%d' % i)
                    if other is None or other == db.token:
                        continue
                    try:
                        gateway.attach(other).query('SELECT 1')
                        stolen += 1
                    except PermissionError:
                        refused += 1
                print(stolen, refused, db.query('SELECT ? AS me', [me])[0]['me'] == me)
                """;
        List<CompletableFuture<ExecutionResult>> runs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            // A hundred calls at once through two or three slots: the last waits for all the others, so each
            // call's wall time (from its acceptance) covers the whole burst, in process or in cold workers.
            Execution e = Execution.builder().principal("user" + i).grant("gateway:db").grant("gateway:board")
                    .param("n", i).code(code).limits(Limits.builder().wallTime(Duration.ofMinutes(5)).build()).build();
            runs.add(CompletableFuture.supplyAsync(() -> cordon.run(e)));
        }
        int refusedTotal = 0;
        for (CompletableFuture<ExecutionResult> f : runs) {
            ExecutionResult r = f.join();
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
            String[] parts = r.stdout().trim().split(" ");
            assertThat(parts[0]).as("tokens of other runs used").isEqualTo("0");
            assertThat(parts[2]).isEqualTo("True");
            refusedTotal += Integer.parseInt(parts[1]);
        }
        // Runs overlap or follow each other: either way, every token seen was someone else's, and refused.
        assertThat(refusedTotal).isGreaterThan(100);
    }

    @Test
    void authorityComesFromThePrincipalNeverFromTheArguments() {
        ExecutionResult r = run("bob", """
                from cordon import gateway
                bank = gateway.connect('bank')
                for args in [('bob', 3, 'alice'), ('mallory', 3), ]:
                    try:
                        print(sorted(bank.call('transfer', *args).items()))
                    except ValueError as e:
                        print('ValueError', e)
                """, "gateway:bank");
        assertThat(r.stdout()).isEqualTo("ValueError transfer(to, amount)\n"
                + "[('amount', 3), ('from', 'bob'), ('to', 'mallory')]\n");
        assertThat(BALANCES).containsEntry("alice", 10).containsEntry("bob", 7).containsEntry("mallory", 3);
    }

    @Test
    void nothingTheGuestSeesNamesAnAddressPathOrCredential() {
        ExecutionResult r = run("eve", """
                from cordon import gateway
                import cordon
                db = gateway.connect('db')
                seen = [repr(db), str(db), dir(db), db.token, db.service]
                try:
                    gateway.connect('boom').call('anything')
                except RuntimeError as e:
                    seen.append(str(e))
                try:
                    db.query('SELECT * FROM missing_table')
                except ValueError as e:
                    seen.append(str(e))
                print(seen)
                1 / 0
                """, "gateway:db", "gateway:boom");
        String everything = r.stdout() + r.stderr() + r.error();
        assertThat(everything).contains("service boom failed").doesNotContain(dir.toString())
                .doesNotContain("hunter2").doesNotContain("zoobar.db").doesNotContain("jdbc");
        assertThat(r.events()).anySatisfy(e -> assertThat(e.detail()).isEqualTo("java.lang.IllegalStateException"));
    }

    @Test
    void theBridgeExposesItsExportedMethodsAndNothingElse() {
        ExecutionResult r = run("eve", """
                import cordon
                from cordon import gateway
                b = cordon._bridge
                h = gateway.connect('db')
                def attempt(f):
                    try:
                        return repr(f())
                    except Exception as e:
                        return type(e).__name__
                print(sorted(n for n in dir(b) if not n.startswith('__')))
                print(attempt(lambda: b.getClass()))
                print(attempt(lambda: b.gatewayCall.getClass()))
                print(attempt(lambda: b.gatewayCall.__self__.getClass()))
                print(attempt(lambda: getattr(b, 'class')))
                print(attempt(lambda: b.hashCode()))
                print(attempt(lambda: b.wait()))
                print(attempt(lambda: type(b.gatewayConnect('db')).__name__))
                print(attempt(lambda: h.__class__.__mro__))
                print(attempt(lambda: __import__('polyglot').as_java(b)))
                """, "gateway:db");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        String[] lines = r.stdout().split("\n");
        // The exact list is DenyByDefaultTest's; here: the gateway's three, and nothing of java.lang.Object.
        assertThat(lines[0]).contains("'gatewayAttach', 'gatewayCall', 'gatewayConnect'")
                .doesNotContain("getClass", "hashCode", "wait", "notify", "toString", "equals");
        for (int i = 1; i <= 6; i++) {
            assertThat(lines[i]).as(lines[i]).isIn("AttributeError", "TypeError");
        }
        assertThat(lines[7]).isEqualTo("'str'");
        assertThat(lines[8]).isEqualTo("(<class 'cordon.gateway.Handle'>, <class 'object'>)");
        assertThat(lines[9]).doesNotContain("GuestBridge").doesNotContain("dev.cordon");
    }

    @Test
    void anUngrantedServiceIsAHostErrorWhenNotRegistered() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> run("alice", "pass", "gateway:nowhere"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nowhere");
    }
}
