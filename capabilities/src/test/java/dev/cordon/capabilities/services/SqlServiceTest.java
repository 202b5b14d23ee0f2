package dev.cordon.capabilities.services;

import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.gateway.CallContext;
import dev.cordon.capabilities.gateway.GatewayException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SQL service against a real SQLite file. */
class SqlServiceTest {

    private static final CallContext CTX = new CallContext(Principal.of("alice"), "e1", "db");

    @TempDir
    Path dir;
    Path file;

    @BeforeEach
    void createDatabase() throws Exception {
        file = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, zoobars INTEGER, photo BLOB)");
            s.execute("INSERT INTO users (name, zoobars, photo) VALUES ('alice', 10, x'cafe'), ('bob', 5, NULL)");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("other.db"));
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE secrets (x TEXT)");
        }
    }

    private Object call(SqlService db, String op, Object... args) throws Exception {
        return db.call(CTX, op, List.of(args));
    }

    private static GatewayException.Kind kind(Throwable e) {
        return ((GatewayException) e).kind();
    }

    @Test
    void aHugeValueIsRefusedBeforeItIsMadeAndNothingHugeReachesTheHeap() {
        SqlService db = SqlService.sqlite(file).build();
        long before = System.nanoTime();
        assertThatThrownBy(() -> call(db, "query", "SELECT zeroblob(1000000000) AS b"))
                .isInstanceOf(GatewayException.class).hasMessageContaining("too big");
        assertThat((System.nanoTime() - before) / 1_000_000).as("refused at once").isLessThan(2_000);
        assertThatThrownBy(() -> call(db, "query", "SELECT hex(randomblob(700000)) AS h"))
                .isInstanceOf(GatewayException.class).hasMessageContaining("too big");
    }

    @Test
    void theValueAndResultBoundsAreTheServicesOwn() throws Exception {
        SqlService small = SqlService.sqlite(file).maxValueBytes(100).build();
        assertThatThrownBy(() -> call(small, "query", "SELECT hex(zeroblob(100)) AS s"))
                .isInstanceOf(GatewayException.class).hasMessageContaining("too big");
        assertThat(call(small, "query", "SELECT hex(zeroblob(25)) AS s")).isEqualTo(List.of(Map.of("s", "0".repeat(50))));
        SqlService rows = SqlService.sqlite(file).maxRows(1).build();
        assertThatThrownBy(() -> call(rows, "query", "SELECT name FROM users"))
                .isInstanceOf(GatewayException.class).hasMessageContaining("more than 1 rows");
        SqlService bytes = SqlService.sqlite(file).maxResultBytes(10).build();
        assertThatThrownBy(() -> call(bytes, "query", "SELECT name, name AS again FROM users"))
                .isInstanceOf(GatewayException.class).hasMessageContaining("larger than 10 bytes");
    }

    @Test
    void aStatementEndsWithTheCallsDeadlineWhenThatComesFirst() {
        SqlService db = SqlService.sqlite(file).timeout(java.time.Duration.ofSeconds(30)).build();
        CallContext hurried = new CallContext(Principal.of("alice"), "e1", "db",
                java.time.Instant.now().plusMillis(300));
        long before = System.nanoTime();
        assertThatThrownBy(() -> db.call(hurried, "query", List.of(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")))
                .isInstanceOf(GatewayException.class)
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.TIMEOUT));
        assertThat((System.nanoTime() - before) / 1_000_000).isLessThan(5_000);
        CallContext over = new CallContext(Principal.of("alice"), "e1", "db", java.time.Instant.now().minusSeconds(1));
        assertThatThrownBy(() -> db.call(over, "query", List.of("SELECT 1")))
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.TIMEOUT));
    }

    @Test
    void queriesReturnRowsAsMaps() throws Exception {
        SqlService db = SqlService.sqlite(file).build();
        Map<String, Object> bob = new java.util.HashMap<>();
        bob.put("name", "bob");
        bob.put("zoobars", 5);
        bob.put("photo", null);
        assertThat(call(db, "query", "SELECT name, zoobars, photo FROM users WHERE zoobars > ? ORDER BY id", List.of(1)))
                .isEqualTo(List.of(Map.of("name", "alice", "zoobars", 10, "photo", "yv4="), bob));
    }

    @Test
    void parametersAreValuesNeverSql() throws Exception {
        SqlService db = SqlService.sqlite(file).build();
        assertThat(call(db, "query", "SELECT count(*) AS n FROM users WHERE name = ?", List.of("x' OR '1'='1")))
                .isEqualTo(List.of(Map.of("n", 0)));
        assertThat(call(db, "query", "SELECT ? AS v", List.of("'; DROP TABLE users; --")))
                .isEqualTo(List.of(Map.of("v", "'; DROP TABLE users; --")));
        assertThat(call(db, "query", "SELECT count(*) AS n FROM users")).isEqualTo(List.of(Map.of("n", 2)));
    }

    @Test
    void aReadOnlyServiceRefusesEveryWrite() {
        SqlService db = SqlService.sqlite(file).build();
        for (String sql : List.of("DELETE FROM users", "UPDATE users SET zoobars = 0", "DROP TABLE users",
                "WITH x AS (SELECT 1) DELETE FROM users", "PRAGMA journal_mode=DELETE", "VACUUM",
                "CREATE TABLE t (x)", "INSERT INTO users (name) VALUES ('eve')")) {
            assertThatThrownBy(() -> call(db, "query", sql)).as(sql)
                    .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.PERMISSION));
        }
        assertThatThrownBy(() -> call(db, "execute", "DELETE FROM users"))
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.PERMISSION));
    }

    @Test
    void aSecondStatementIsRefusedWhereverItHides() throws Exception {
        SqlService db = SqlService.sqlite(file).writable(true).build();
        for (String sql : List.of("SELECT 1; DELETE FROM users", "SELECT 1 ;DELETE FROM users",
                "SELECT 1; -- comment\nDELETE FROM users", "SELECT 1; /* c */ DELETE FROM users",
                "SELECT ';'; DELETE FROM users", "SELECT \"a;\"; DELETE FROM users")) {
            assertThatThrownBy(() -> call(db, "query", sql)).as(sql)
                    .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.INVALID));
        }
        assertThat(call(db, "query", "SELECT ';' AS s; -- trailing comment")).isEqualTo(List.of(Map.of("s", ";")));
        assertThat(call(db, "query", "SELECT count(*) AS n FROM users")).isEqualTo(List.of(Map.of("n", 2)));
    }

    @Test
    void attachingAnotherFileIsImpossibleEvenWhenWritable() {
        SqlService db = SqlService.sqlite(file).writable(true).build();
        assertThatThrownBy(() -> call(db, "execute", "ATTACH DATABASE ? AS o", List.of(dir.resolve("other.db").toString())))
                .isInstanceOf(GatewayException.class);
    }

    @Test
    void aWritableServiceWrites() throws Exception {
        SqlService db = SqlService.sqlite(file).writable(true).build();
        assertThat(call(db, "execute", "UPDATE users SET zoobars = zoobars + ? WHERE name = ?", List.of(1, "bob")))
                .isEqualTo(Map.of("rowcount", 1));
        assertThat(call(db, "query", "SELECT zoobars FROM users WHERE name = 'bob'")).isEqualTo(List.of(Map.of("zoobars", 6)));
    }

    @Test
    void hugeResultsAreRefusedNotTruncated() {
        SqlService db = SqlService.sqlite(file).maxRows(100).build();
        assertThatThrownBy(() -> call(db, "query",
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT i FROM n"))
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.FAILED))
                .hasMessageContaining("more than 100 rows");
        SqlService small = SqlService.sqlite(file).maxResultBytes(1_000).build();
        assertThatThrownBy(() -> call(small, "query", "SELECT zeroblob(2000) AS b"))
                .hasMessageContaining("larger than");
    }

    @Test
    void aSlowStatementIsCancelledAtTheTimeLimit() {
        SqlService db = SqlService.sqlite(file).timeout(Duration.ofMillis(300)).build();
        long start = System.nanoTime();
        assertThatThrownBy(() -> call(db, "query",
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"))
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void theDatabaseLocationNeverReachesTheGuest() {
        SqlService db = SqlService.sqlite(dir.resolve("missing").resolve("x.db")).build();
        assertThatThrownBy(() -> call(db, "query", "SELECT 1"))
                .hasMessage("the database is unavailable").hasMessageNotContaining(dir.toString());
        assertThat(db.describe()).doesNotContain(dir.toString());
    }

    @Test
    void wrongArgumentsAreValueErrors() {
        SqlService db = SqlService.sqlite(file).build();
        assertThatThrownBy(() -> call(db, "query")).satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.INVALID));
        assertThatThrownBy(() -> call(db, "query", 42)).satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.INVALID));
        assertThatThrownBy(() -> call(db, "query", "SELECT ?", List.of(List.of(1))))
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.INVALID));
        assertThatThrownBy(() -> call(db, "query", "SELEC nonsense"))
                .satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.PERMISSION));
        assertThatThrownBy(() -> call(db, "drop")).satisfies(e -> assertThat(kind(e)).isEqualTo(GatewayException.Kind.NOT_FOUND));
    }
}
