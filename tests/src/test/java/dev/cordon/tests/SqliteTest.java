package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.capabilities.Quota;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest's sqlite3: CPython's package on Cordon's _sqlite3 (_cordon_graalpy/sqlite.py), whose databases are
 * SQLite in the engine's JVM, their files read and written through the guest's filesystem with its quota.
 */
class SqliteTest {

    @TempDir
    static Path dataDir;
    static Cordon cordon;

    @BeforeAll
    static void start() {
        cordon = Cordon.builder().dataDir(dataDir).tmpQuota(new Quota(400_000, 100))
                .defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    private static ExecutionResult run(String principal, String code) {
        return SharedCordon.run(cordon, principal, code, "fs.tmp");
    }

    @Test
    void theDbApiWorksAsOnCPython() {
        ExecutionResult r = run("alice", """
                import sqlite3, datetime
                con = sqlite3.connect(':memory:')
                cur = con.cursor()
                cur.execute('create table t(a integer primary key, b text, c blob, d real)')
                cur.execute('insert into t(b, c, d) values (?, ?, ?)', ('x', b'\\x00\\xff', 1.5))
                print(cur.lastrowid, cur.rowcount, con.in_transaction)
                cur.executemany('insert into t(b) values (:b)', [{'b': str(i)} for i in range(1000)])
                print(cur.rowcount)
                con.commit()
                print(con.in_transaction, con.execute('select count(*), sum(a) from t').fetchone())
                rows = con.execute('select * from t order by a').fetchall()
                print(len(rows), rows[0], [d[0] for d in con.execute('select a, b from t').description])
                con.row_factory = sqlite3.Row
                row = con.execute('select a, b as name from t where a = ?', (1,)).fetchone()
                print(row['NAME'], row[0], row.keys(), tuple(row))
                con.row_factory = None
                cur = con.execute('select b from t order by a')
                print(cur.fetchone(), len(cur.fetchmany(5)), len(cur.fetchall()), cur.fetchone())
                for bad, sql, args in (('IntegrityError', 'insert into t(a) values (1)', ()),
                                       ('ProgrammingError', 'select 1; select 2', ()),
                                       ('ProgrammingError', 'select ?', (1, 2)),
                                       ('OperationalError', 'select * from missing', ()),
                                       ('OverflowError', 'select ?', (2 ** 64,))):
                    try:
                        con.execute(sql, args)
                    except Exception as e:
                        print(type(e).__name__ == bad, e)
                with con:
                    con.execute("insert into t(b) values ('in with')")
                print(con.execute("select count(*) from t where b = 'in with'").fetchone())
                con.execute("insert into t(b) values ('rolled back')")
                con.rollback()
                print(con.execute("select count(*) from t where b = 'rolled back'").fetchone())
                con2 = sqlite3.connect(':memory:', detect_types=sqlite3.PARSE_DECLTYPES)
                sqlite3.register_converter('point', lambda b: tuple(map(float, b.split(b';'))))
                sqlite3.register_adapter(complex, lambda c: '%s;%s' % (c.real, c.imag))
                con2.execute('create table p(x point)')
                con2.execute('insert into p values (?)', (1 + 2j,))
                print(con2.execute('select x from p').fetchone())
                con2.executescript('''
                    create table s(v);
                    create trigger s_ins after insert on s begin insert into s(v) select 'trig' where new.v != 'trig'; end;
                    insert into s values ('one');
                ''')
                print(con2.execute('select v from s order by v').fetchall())
                big = con2.execute('with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000) select x from c').fetchall()
                print(len(big), big[-1], sqlite3.complete_statement('select 1;'), sqlite3.complete_statement('select 1'))
                print(list(con.iterdump())[1])
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                1 1 True
                1000
                False (1001, 501501)
                1001 (1, 'x', b'\\x00\\xff', 1.5) ['a', 'b']
                x 1 ['a', 'name'] (1, 'x')
                ('x',) 5 995 None
                True UNIQUE constraint failed: t.a
                True You can only execute one statement at a time.
                True Incorrect number of bindings supplied. The current statement uses 1, and there are 2 supplied.
                True no such table: missing
                True Python int too large to convert to SQLite INTEGER
                (1,)
                (0,)
                ((1.0, 2.0),)
                [('one',), ('trig',)]
                5000 (5000,) True False
                CREATE TABLE t(a integer primary key, b text, c blob, d real);
                """);
    }

    @Test
    void functionsAggregatesAndCollationsCallBackIntoPython() {
        ExecutionResult r = run("hank", """
                import sqlite3
                con = sqlite3.connect(':memory:')
                con.create_function('double', 1, lambda x: x * 2, deterministic=True)
                con.create_function('boom', 0, lambda: 1 / 0)
                class Total:
                    def __init__(self):
                        self.n = 0
                    def step(self, v):
                        self.n += v
                    def finalize(self):
                        return self.n
                class BadStep(Total):
                    def step(self, v):
                        raise ValueError(v)
                con.create_aggregate('total', 1, Total)
                con.create_aggregate('badstep', 1, BadStep)
                con.create_collation('reverse', lambda a, b: (a < b) - (a > b))
                con.execute('create table t(g, v)')
                con.executemany('insert into t values (?, ?)', [('a', 1), ('a', 2), ('b', 5)])
                print(con.execute("select double(v), double(g), double(x'00ff') from t order by v").fetchall())
                print(con.execute('select g, total(v) from t group by g order by g').fetchall())
                print(con.execute('select total(v) from t where 0').fetchone())
                print(con.execute('select g from t order by g collate reverse').fetchall())
                for sql in ('select boom()', 'select badstep(v) from t'):
                    try:
                        con.execute(sql).fetchall()
                    except sqlite3.OperationalError as e:
                        print(e)
                con.create_function('double', 1, None)
                try:
                    con.execute('select double(1)')
                except sqlite3.OperationalError as e:
                    print(e)
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                [(2, 'aa', b'\\x00\\xff\\x00\\xff'), (4, 'aa', b'\\x00\\xff\\x00\\xff'), (10, 'bb', b'\\x00\\xff\\x00\\xff')]
                [('a', 3), ('b', 5)]
                (0,)
                [('b',), ('a',), ('a',)]
                user-defined function raised exception
                user-defined aggregate's 'step' method raised error
                no such function: double
                """);
    }

    @Test
    void aDatabaseFileLivesInThePrincipalsTmpAndOnlyCommittedChangesLast() throws Exception {
        ExecutionResult first = run("bob", """
                import sqlite3
                con = sqlite3.connect('/tmp/notes.db')
                con.execute('create table n(v text)')
                con.execute("insert into n values ('kept')")
                con.commit()
                con.execute("insert into n values ('never committed')")
                print(con.in_transaction)
                """);
        assertThat(first.status()).as("%s", first.error()).isEqualTo(Status.OK);
        ExecutionResult second = run("bob", """
                import sqlite3, os
                os.chdir('/tmp')
                con = sqlite3.connect('notes.db')
                print(con.execute('select v from n').fetchall(), os.path.getsize('/tmp/notes.db') > 0)
                print(sorted(os.listdir('/tmp')))
                """);
        assertThat(second.status()).as("%s", second.error()).isEqualTo(Status.OK);
        assertThat(second.stdout()).isEqualTo("[('kept',)] True\n['notes.db']\n");
        ExecutionResult other = run("carol", """
                import sqlite3
                try:
                    sqlite3.connect('file:/tmp/notes.db?mode=ro', uri=True).execute('select 1').fetchall()
                except sqlite3.OperationalError as e:
                    print(e)
                """);
        assertThat(other.stdout()).isEqualTo("unable to open database file\n");
        // On the host it is a real SQLite file, written whole through the principal's /tmp.
        Path file;
        try (Stream<Path> files = Files.walk(dataDir)) {
            file = files.filter(p -> p.getFileName().toString().equals("notes.db")).findFirst().orElseThrow();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             ResultSet rs = c.createStatement().executeQuery("select count(*) from n")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void aDatabaseIsBoundedByTheQuotaAndWhatTheCallMayHold() {
        ExecutionResult r = run("dave", """
                import sqlite3, os
                con = sqlite3.connect('/tmp/big.db')
                con.execute('create table b(x blob)')
                con.commit()
                try:
                    con.execute('insert into b values (zeroblob(300000))')
                    con.execute('insert into b values (zeroblob(300000))')
                    con.commit()
                except sqlite3.OperationalError as e:
                    print(type(e).__name__, e)
                print(os.path.getsize('/tmp/big.db') < 400000, sorted(os.listdir('/tmp')))
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("OperationalError database or disk is full\nTrue ['big.db']\n");
        ExecutionResult huge = cordon.run(Execution.builder().principal("dave").grant("fs.tmp")
                .limits(Limits.builder().wallTime(Duration.ofSeconds(60)).memoryBytes(32L << 20).build())
                .code("""
                        import sqlite3
                        con = sqlite3.connect(':memory:')
                        for sql in ('select zeroblob(2000000000)', 'select length(zeroblob(100000000))',
                                    'create table g as with recursive c(x) as (select 1 union all select x + 1 from c) select randomblob(10000) from c'):
                            try:
                                con.execute(sql).fetchall()
                                print('no error')
                            except sqlite3.Error as e:
                                print(type(e).__name__, e)
                        """).build());
        assertThat(huge.status()).as("%s", huge.error()).isEqualTo(Status.OK);
        assertThat(huge.stdout()).isEqualTo("""
                DataError string or blob too big
                DataError string or blob too big
                OperationalError database or disk is full
                """);
    }

    @Test
    void aWorkersSqliteMemoryIsBoundedByTheCallsMemoryLimit() {
        ExecutionResult r = cordon.run(Execution.builder().principal("gina")
                .limits(Limits.builder().wallTime(Duration.ofSeconds(60)).memoryBytes(32L << 20).build())
                .code("""
                        import sqlite3
                        con = sqlite3.connect(':memory:')
                        try:
                            print(con.execute('''select count(*) from (
                                with recursive c(x) as (select 1 union all select x + 1 from c where x < 12000)
                                select randomblob(10000) as b from c order by b)''').fetchone())
                        except MemoryError as e:
                            print('MemoryError')
                        """).build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        // A worker runs one call: all of its SQLite memory (this sort's 120 MB) is bounded by the call's limit.
        // In process, SQLite's native memory is the host's, bounded only by the call's time.
        boolean worker = "process".equals(System.getenv("CORDON_ISOLATION"));
        assertThat(r.stdout()).isEqualTo(worker ? "MemoryError\n" : "(12000,)\n");
    }

    @Test
    void hostileSqlReachesNothingBeyondItsOwnDatabase() {
        ExecutionResult r = run("erin", """
                import sqlite3
                con = sqlite3.connect(':memory:')
                con.execute('create table t(x)')
                for sql in ("attach database '/etc/passwd' as p",
                            "vacuum into '/tmp/copy.db'",
                            "backup to /tmp/host.db",
                            "pragma temp_store = file",
                            "pragma main.max_page_count = 1000000000",
                            "pragma hard_heap_limit = 0",
                            "select load_extension('/lib/x86_64-linux-gnu/libc.so.6')"):
                    try:
                        con.execute(sql)
                        print('no error', sql)
                    except sqlite3.Error as e:
                        print(type(e).__name__)
                for call in (lambda: con.enable_load_extension(True), lambda: con.set_authorizer(lambda *a: 0)):
                    try:
                        call()
                    except sqlite3.NotSupportedError as e:
                        print('NotSupportedError')
                with open('/tmp/corrupt.db', 'wb') as f:
                    f.write(b'SQLite format 3\\x00' + b'\\xff' * 5000)
                try:
                    sqlite3.connect('/tmp/corrupt.db').execute('select * from sqlite_master').fetchall()
                except sqlite3.DatabaseError as e:
                    print(type(e).__name__, e)
                with open('/tmp/text.db', 'w') as f:
                    f.write('just text' * 100)
                try:
                    sqlite3.connect('/tmp/text.db').execute('select * from sqlite_master').fetchall()
                except sqlite3.DatabaseError as e:
                    print(type(e).__name__, e)
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines.subList(0, 9)).containsExactly("OperationalError", "OperationalError", "OperationalError",
                "OperationalError", "OperationalError", "OperationalError", "OperationalError",
                "NotSupportedError", "NotSupportedError");
        assertThat(lines.subList(9, 11)).allSatisfy(l -> assertThat(l).startsWith("DatabaseError"));
    }

    @Test
    void aRunawayQueryEndsAtTheWallTimeLimitAndTheNextCallRuns() {
        ExecutionResult r = cordon.run(Execution.builder().principal("frank")
                .limits(Limits.builder().wallTime(Duration.ofSeconds(3)).build())
                .code("""
                        import sqlite3
                        sqlite3.connect(':memory:').execute(
                            'with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c').fetchall()
                        """).build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.TIMEOUT);
        assertThat(r.usage().wallMillis()).isLessThan(3_250);
        ExecutionResult next = run("frank", "import sqlite3\nprint(sqlite3.connect(':memory:').execute('select 41 + 1').fetchone())");
        assertThat(next.stdout()).isEqualTo("(42,)\n");
    }
}
