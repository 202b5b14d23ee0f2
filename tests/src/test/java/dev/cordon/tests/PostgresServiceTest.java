package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.services.SqlService;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC gateway service against a real PostgreSQL server (Debian's, started here): guest code queries with
 * parameters through a token, and the same refusals and limits hold as on SQLite: one statement per call, a
 * read-only service refuses writes however they are dressed, results are bounded in rows, a statement is
 * cancelled at the service's timeout, and no message names the server. CI has PostgreSQL; on a machine without
 * it the class is skipped and says why.
 */
class PostgresServiceTest {

    static PostgresServer postgres;
    static Cordon cordon;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(PostgresServer.available(), "no PostgreSQL 15 under " + PostgresServer.BIN);
        postgres = new PostgresServer();
        try (Connection c = DriverManager.getConnection(postgres.url()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (name TEXT PRIMARY KEY, zoobars INTEGER, profile TEXT)");
            s.execute("INSERT INTO users VALUES ('alice', 10, 'hi'), ('bob', 5, 'yo')");
            s.execute("INSERT INTO users SELECT 'user' || i, i, '' FROM generate_series(1, 100) AS i");
        }
        cordon = Cordon.builder()
                .service("db", SqlService.jdbc(postgres.url()).timeout(Duration.ofMillis(500)).maxRows(50).build())
                .service("rw", SqlService.jdbc(postgres.url()).writable(true).timeout(Duration.ofSeconds(2)).build())
                .defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cordon != null) {
            cordon.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ExecutionResult run(String service, String code) {
        return cordon.run(Execution.builder().principal("alice").grant("gateway:" + service).code(code).build());
    }

    @Test
    void aGuestQueriesWithParametersThroughItsToken() {
        ExecutionResult r = run("db", """
                from cordon import gateway
                db = gateway.connect('db')
                print(db.query('SELECT name, zoobars FROM users WHERE zoobars > ? AND name NOT LIKE ? ORDER BY name',
                               [4, 'user%']))
                print(db.query('SELECT count(*) AS n FROM users')[0]['n'])
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("[{'name': 'alice', 'zoobars': 10}, {'name': 'bob', 'zoobars': 5}]\n102\n");
    }

    @Test
    void theRefusalsAndLimitsOfSqliteHoldOnPostgres() {
        ExecutionResult r = run("db", """
                from cordon import gateway
                db = gateway.connect('db')
                for sql in ["SELECT 1; DROP TABLE users",
                            "WITH gone AS (DELETE FROM users RETURNING *) SELECT count(*) FROM gone",
                            "SELECT name FROM users",
                            "SELECT pg_sleep(5)",
                            "SELECT nonsense FROM nowhere"]:
                    try:
                        db.query(sql)
                        print('accepted', sql)
                    except (ValueError, PermissionError, RuntimeError, TimeoutError) as e:
                        print(type(e).__name__, str(e)[:70])
                try:
                    db.execute('DELETE FROM users')
                except PermissionError as e:
                    print('PermissionError', e)
                print(db.query('SELECT count(*) AS n FROM users')[0]['n'])
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        String out = r.stdout();
        assertThat(out.lines().toList()).hasSize(7);
        assertThat(out.lines().toList().get(0)).isEqualTo("ValueError one statement per call: pass values as parameters, not as SQL");
        assertThat(out.lines().toList().get(1)).isEqualTo("PermissionError this database is read-only");
        assertThat(out.lines().toList().get(2)).isEqualTo("RuntimeError the result has more than 50 rows; add a LIMIT");
        assertThat(out.lines().toList().get(3)).startsWith("TimeoutError the statement ran longer than");
        assertThat(out.lines().toList().get(4)).isEqualTo("ValueError ERROR: relation \"nowhere\" does not exist");
        assertThat(out.lines().toList().get(5)).isEqualTo("PermissionError this database is read-only");
        assertThat(out.lines().toList().get(6)).isEqualTo("102");
        assertThat(out).doesNotContain("127.0.0.1").doesNotContain("jdbc:");
    }

    @Test
    void aWritableServiceWritesAndCountsRows() {
        ExecutionResult r = run("rw", """
                from cordon import gateway
                db = gateway.connect('rw')
                print(db.execute('UPDATE users SET profile = ? WHERE name = ?', ['edited', 'bob']))
                print(db.query('SELECT profile FROM users WHERE name = ?', ['bob']))
                """);
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("{'rowcount': 1}\n[{'profile': 'edited'}]\n");
    }
}
