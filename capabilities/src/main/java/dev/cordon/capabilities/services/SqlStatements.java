package dev.cordon.capabilities.services;

import java.util.Locale;

/**
 * Just enough of SQL's lexical structure to tell how many statements a text holds and which keyword it
 * starts with: string literals, quoted identifiers and comments are skipped, so that a semicolon or a
 * keyword inside them does not count.
 */
final class SqlStatements {

    private SqlStatements() {
    }

    /** Whether {@code sql} holds more than one statement (a trailing semicolon is allowed). */
    static boolean hasSeveral(String sql) {
        int i = 0;
        int n = sql.length();
        boolean ended = false;
        while (i < n) {
            char c = sql.charAt(i);
            int skip = skip(sql, i);
            if (skip > i) {
                if (ended && !isComment(sql, i)) {
                    return true;
                }
                i = skip;
                continue;
            }
            if (c == ';') {
                ended = true;
            } else if (!Character.isWhitespace(c) && ended) {
                return true;
            }
            i++;
        }
        return false;
    }

    /** The first keyword, upper-cased, or the empty string. */
    static String firstKeyword(String sql) {
        int i = 0;
        int n = sql.length();
        while (i < n) {
            if (isComment(sql, i)) {
                i = skip(sql, i);
            } else if (Character.isWhitespace(sql.charAt(i)) || sql.charAt(i) == '(') {
                i++;
            } else {
                break;
            }
        }
        int start = i;
        while (i < n && Character.isLetter(sql.charAt(i))) {
            i++;
        }
        return sql.substring(start, i).toUpperCase(Locale.ROOT);
    }

    private static boolean isComment(String sql, int i) {
        return sql.startsWith("--", i) || sql.startsWith("/*", i);
    }

    /** The index after a literal, quoted identifier or comment starting at {@code i}, or {@code i}. */
    private static int skip(String sql, int i) {
        char c = sql.charAt(i);
        if (sql.startsWith("--", i)) {
            int end = sql.indexOf('\n', i);
            return end < 0 ? sql.length() : end + 1;
        }
        if (sql.startsWith("/*", i)) {
            int end = sql.indexOf("*/", i + 2);
            return end < 0 ? sql.length() : end + 2;
        }
        char close = switch (c) {
            case '\'' -> '\'';
            case '"' -> '"';
            case '`' -> '`';
            case '[' -> ']';
            default -> 0;
        };
        if (close == 0) {
            return i;
        }
        int j = i + 1;
        while (j < sql.length()) {
            if (sql.charAt(j) == close) {
                // A doubled quote is an escaped quote inside the literal.
                if (close != ']' && j + 1 < sql.length() && sql.charAt(j + 1) == close) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return sql.length();
    }
}
