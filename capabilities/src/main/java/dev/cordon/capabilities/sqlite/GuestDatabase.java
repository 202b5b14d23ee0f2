package dev.cordon.capabilities.sqlite;

import dev.cordon.capabilities.posix.Errno;
import dev.cordon.capabilities.vfs.FileAttributes;
import dev.cordon.capabilities.vfs.VirtualFileSystem;
import dev.cordon.capabilities.vfs.VirtualPath;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One database a guest opened: always an in-memory SQLite database in this JVM, loaded from its file in the
 * guest's virtual filesystem when it has one, and written back there, whole, each time a change ends outside a
 * transaction. SQLite itself never opens a file: ATTACH (and so {@code VACUUM INTO}) is off, extensions are off,
 * and only prepared statements and the script runner reach it (the driver's own {@code backup to} and
 * {@code restore from} commands are never parsed). Its size is bounded by {@code max_page_count}, each value by
 * SQLite's length limit, and every statement by the call's deadline.
 */
final class GuestDatabase implements AutoCloseable {

    private final Connection connection;
    private final SQLiteConnection sqlite;
    /** The file it was loaded from and is written back to, or null for {@code :memory:}. */
    private final VirtualPath file;
    private final VirtualFileSystem fs;
    private boolean inTransaction;
    private boolean dirty;
    private PreparedStatement lastRowId;

    private GuestDatabase(Connection connection, VirtualPath file, VirtualFileSystem fs) throws SQLException {
        this.connection = connection;
        this.sqlite = connection.unwrap(SQLiteConnection.class);
        this.file = file;
        this.fs = fs;
        sqlite.addCommitListener(new SQLiteCommitListener() {
            @Override
            public void onCommit() {
                inTransaction = false;
            }

            @Override
            public void onRollback() {
                inTransaction = false;
            }
        });
    }

    /**
     * Opens {@code :memory:} (file null) or a file of the guest's filesystem.
     *
     * @param mode     {@code rwc} (create if missing), {@code rw}, {@code ro}
     * @param maxBytes the most the database may hold
     */
    static GuestDatabase open(VirtualFileSystem fs, VirtualPath file, String mode, long maxBytes,
                              GuestDatabases.Deadline deadline) throws SQLException, SqliteRefusal {
        byte[] content = null;
        boolean readOnly = mode.equals("ro");
        if (file != null) {
            content = load(fs, file, mode.equals("rwc"), maxBytes);
            readOnly |= !fs.isWritable(file);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.enableLoadExtension(false);
        Connection c = DriverManager.getConnection("jdbc:sqlite::memory:", config.toProperties());
        GuestDatabase db = null;
        try {
            db = new GuestDatabase(c, file, fs);
            if (content != null && content.length > 0) {
                db.sqlite.deserialize("main", content);
            }
            db.sqlite.setLimit(SQLiteLimits.SQLITE_LIMIT_ATTACHED, 0);
            db.sqlite.setLimit(SQLiteLimits.SQLITE_LIMIT_LENGTH, (int) Math.min(1_000_000_000L, Math.max(1, maxBytes)));
            org.sqlite.ProgressHandler.setHandler(c, 1000, new org.sqlite.ProgressHandler() {
                @Override
                protected int progress() {
                    return deadline.passed() ? 1 : 0;
                }
            });
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA temp_store = MEMORY");
                if (content == null || content.length == 0 || looksLikeDatabase(content)) {
                    long pageSize = pragma(c, "page_size");
                    s.execute("PRAGMA max_page_count = " + Math.max(2, maxBytes / Math.max(512, pageSize)));
                    s.execute("PRAGMA temp.max_page_count = " + Math.max(2, maxBytes / Math.max(512, pageSize)));
                }
                if (readOnly) {
                    s.execute("PRAGMA query_only = ON");
                }
            }
            return db;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static boolean looksLikeDatabase(byte[] content) {
        return content.length >= 100 && new String(content, 0, 16, java.nio.charset.StandardCharsets.ISO_8859_1)
                .equals("SQLite format 3\0");
    }

    private static long pragma(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + name)) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    /** The file's bytes, bounded; an empty file is created when allowed and missing, as SQLite would. */
    private static byte[] load(VirtualFileSystem fs, VirtualPath file, boolean create, long maxBytes)
            throws SqliteRefusal {
        FileAttributes a;
        try {
            a = fs.attributes(file, true);
        } catch (IOException e) {
            if (!create || Errno.of(e) != Errno.ENOENT) {
                throw SqliteRefusal.cannotOpen(e);
            }
            try (SeekableByteChannel ignored = fs.open(file, EnumSet.of(StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW))) {
                return new byte[0];
            } catch (IOException created) {
                throw SqliteRefusal.cannotOpen(created);
            }
        }
        if (a.isDirectory()) {
            throw new SqliteRefusal("OperationalError", "unable to open database file", "SQLITE_CANTOPEN");
        }
        if (a.size() > maxBytes) {
            throw new SqliteRefusal("OperationalError", "the database file holds " + a.size()
                    + " bytes, more than this call may hold (" + maxBytes + ")", "SQLITE_TOOBIG");
        }
        try (SeekableByteChannel ch = fs.open(file, EnumSet.of(StandardOpenOption.READ))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(0, Math.min(a.size(), maxBytes)));
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            int n;
            while ((n = ch.read(buf)) > 0) {
                if (out.size() + n > maxBytes) {
                    throw new SqliteRefusal("OperationalError", "the database file is larger than this call may hold ("
                            + maxBytes + " bytes)", "SQLITE_TOOBIG");
                }
                out.write(buf.array(), 0, n);
                buf.clear();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw SqliteRefusal.cannotOpen(e);
        }
    }

    Connection connection() {
        return connection;
    }

    boolean inTransaction() {
        return inTransaction;
    }

    /** Notes what a statement that ran did to the transaction and the content. */
    void ran(SqlText statement, long changesBefore) throws SQLException {
        String first = statement.firstWord();
        if (first.equals("BEGIN") || first.equals("SAVEPOINT")) {
            inTransaction = true;
        }
        if (!(first.equals("SELECT") || first.equals("EXPLAIN") || first.equals("VALUES"))
                || sqlite.getDatabase().total_changes() != changesBefore) {
            dirty = true;
        }
    }

    /** The script runner's statements: any of them may have begun or ended a transaction, or changed content. */
    void ranScript(SqlText script) {
        dirty = true;
        boolean begins = false;
        for (SqlText.Token t : script.tokens()) {
            if (t.is("BEGIN") || t.is("SAVEPOINT")) {
                begins = true;
            } else if (t.is("COMMIT") || t.is("END") || t.is("ROLLBACK")) {
                begins = false;
            }
        }
        inTransaction = begins;
    }

    long totalChanges() throws SQLException {
        return sqlite.getDatabase().total_changes();
    }

    long lastInsertRowId() throws SQLException {
        if (lastRowId == null) {
            lastRowId = connection.prepareStatement("SELECT last_insert_rowid()");
        }
        try (ResultSet r = lastRowId.executeQuery()) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    /**
     * Writes the database back to its file if it changed and no transaction is open: whole, to a new file beside
     * it, which then replaces it, so that no reader ever sees half of it. The file's quota counts it as it is
     * written.
     */
    void persist() throws SQLException, SqliteRefusal {
        if (file == null || !dirty || inTransaction) {
            return;
        }
        byte[] content = sqlite.serialize("main");
        VirtualPath temp = file.parent().child("." + file.fileName() + "-cordon-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (SeekableByteChannel ch = fs.open(temp, EnumSet.of(StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW))) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            fs.move(temp, file, true);
            dirty = false;
        } catch (IOException e) {
            try {
                fs.delete(temp);
            } catch (IOException ignored) {
                // It was never made, or cannot be removed: nothing more to do.
            }
            throw SqliteRefusal.cannotWrite(e);
        }
    }

    /** Replaces the content with {@code content} (a serialized database), as {@code Connection.deserialize} does. */
    void replace(byte[] content) throws SQLException {
        sqlite.deserialize("main", content);
        dirty = true;
    }

    byte[] serialize() throws SQLException {
        return sqlite.serialize("main");
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Closing an in-memory database only frees it.
        }
    }
}
