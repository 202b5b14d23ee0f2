package dev.cordon.capabilities.sqlite;

import dev.cordon.capabilities.posix.Errno;

import java.io.IOException;
import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An error the guest's {@code sqlite3} raises: the DB-API exception's name, its message, and SQLite's error
 * name ({@code SQLITE_CONSTRAINT_UNIQUE}...), as CPython's module gives them.
 */
final class SqliteRefusal extends Exception {

    private static final Pattern DRIVER_FORM = Pattern.compile("^\\[(SQLITE_\\w+)]\\s[^(]*\\((.*)\\)$", Pattern.DOTALL);

    private final String type;
    private final String name;

    SqliteRefusal(String type, String message, String name) {
        super(message, null, false, false);
        this.type = type;
        this.name = name;
    }

    String type() {
        return type;
    }

    String errorName() {
        return name;
    }

    static SqliteRefusal programming(String message) {
        return new SqliteRefusal("ProgrammingError", message, null);
    }

    static SqliteRefusal cannotOpen(IOException e) {
        return new SqliteRefusal("OperationalError", "unable to open database file", "SQLITE_CANTOPEN");
    }

    static SqliteRefusal cannotWrite(IOException e) {
        int errno = Errno.of(e);
        if (errno == Errno.ENOSPC || errno == 122 /* EDQUOT */ || errno == Errno.EFBIG) {
            return new SqliteRefusal("OperationalError", "database or disk is full", "SQLITE_FULL");
        }
        if (errno == Errno.EACCES || errno == Errno.EROFS || errno == Errno.EPERM) {
            return new SqliteRefusal("OperationalError", "attempt to write a readonly database", "SQLITE_READONLY");
        }
        return new SqliteRefusal("OperationalError", "disk I/O error", "SQLITE_IOERR");
    }

    /** SQLite's error as CPython reports it: the exception for its primary code, SQLite's own message. */
    static SqliteRefusal of(SQLException e) {
        String text = String.valueOf(e.getMessage());
        String name = null;
        String message = text;
        Matcher m = DRIVER_FORM.matcher(text);
        if (m.matches()) {
            name = m.group(1);
            message = m.group(2);
        }
        int primary = e.getErrorCode() & 0xff;
        String type = switch (primary) {
            case 2, 12 -> "InternalError";               // INTERNAL, NOTFOUND
            case 7 -> "MemoryError";                     // NOMEM
            case 11, 26 -> "DatabaseError";              // CORRUPT, NOTADB
            case 18 -> "DataError";                      // TOOBIG
            case 19, 20 -> "IntegrityError";             // CONSTRAINT, MISMATCH
            case 21 -> "ProgrammingError";               // MISUSE
            case 25 -> "InterfaceError";                 // RANGE
            case 1, 3, 4, 5, 6, 8, 9, 10, 13, 14, 15, 16, 17 -> "OperationalError";
            default -> "DatabaseError";
        };
        if (primary == 9) {
            message = "interrupted";
        }
        if (name != null && name.equals("SQLITE_TOOBIG") && message.isEmpty()) {
            message = "string or blob too big";
        }
        return new SqliteRefusal(type, message, name);
    }
}
