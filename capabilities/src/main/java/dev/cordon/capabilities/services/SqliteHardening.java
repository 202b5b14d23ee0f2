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
 * timeout, and no ATTACH. The only class that names the SQLite driver, loaded only for {@code jdbc:sqlite:}
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

    static void forbidAttach(Connection c) throws SQLException {
        c.unwrap(SQLiteConnection.class).setLimit(SQLiteLimits.SQLITE_LIMIT_ATTACHED, 0);
    }
}
