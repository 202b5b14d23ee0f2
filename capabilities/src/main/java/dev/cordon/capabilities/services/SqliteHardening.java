package dev.cordon.capabilities.services;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * What {@link SqlService} does to a SQLite connection beyond JDBC: read-only at open, no extensions, a busy
 * timeout, no ATTACH, and a length limit on every string and BLOB the engine makes. The only class that names the SQLite driver, loaded only for {@code jdbc:sqlite:}
 * URLs: the driver is the application's dependency, not the library's.
 */
final class SqliteHardening {

    private SqliteHardening() {
    }

    static Properties properties(boolean writable, Duration timeout) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(!writable);
        config.enableLoadExtension(false);
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        return config.toProperties();
    }

    /** No ATTACH, and no string or BLOB longer than {@code maxValueBytes}, made or read. */
    static void limit(Connection c, int maxValueBytes) throws SQLException {
        SQLiteConnection sqlite = c.unwrap(SQLiteConnection.class);
        sqlite.setLimit(SQLiteLimits.SQLITE_LIMIT_ATTACHED, 0);
        sqlite.setLimit(SQLiteLimits.SQLITE_LIMIT_LENGTH, maxValueBytes);
    }
}
