package dev.cordon.capabilities.sqlite;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What Cordon reads in a guest's SQL text before SQLite does: its words (outside strings, quoted names and
 * comments), its parameters, and where its first statement ends. SQLite parses the text again and is the judge
 * of what it means; this only finds the words a statement starts with, the pragmas the guest may not set, and
 * the names of named parameters.
 */
final class SqlText {

    /** Pragmas that reach beyond the guest's own database (the process's heap, the host's disk) or its bounds. */
    private static final Set<String> REFUSED_PRAGMAS = Set.of("temp_store", "temp_store_directory",
            "data_store_directory", "max_page_count", "page_size", "hard_heap_limit", "soft_heap_limit",
            "query_only", "mmap_size", "threads", "cache_spill");

    /** A word, a parameter or a punctuation mark, with where it starts and ends in the text. */
    record Token(Kind kind, String text, int start, int end) {
        boolean is(String word) {
            return kind == Kind.WORD && text.equalsIgnoreCase(word);
        }
    }

    enum Kind { WORD, PARAMETER, QUOTED, PUNCTUATION }

    private final String sql;
    private final List<Token> tokens;

    SqlText(String sql) {
        this.sql = sql;
        this.tokens = scan(sql);
    }

    List<Token> tokens() {
        return tokens;
    }

    /** The statement's first word, upper case, or "" for text with none. */
    String firstWord() {
        for (Token t : tokens) {
            return t.kind == Kind.WORD ? t.text.toUpperCase(Locale.ROOT) : "";
        }
        return "";
    }

    /** Whether the text holds a second statement after its first (a trigger's body is part of its statement). */
    boolean moreThanOneStatement() {
        int end = firstStatementEnd();
        for (Token t : tokens) {
            if (t.start >= end && !(t.kind == Kind.PUNCTUATION && t.text.equals(";"))) {
                return true;
            }
        }
        return false;
    }

    private int firstStatementEnd() {
        boolean trigger = tokens.size() > 1 && tokens.get(0).is("CREATE") && tokens.stream().limit(4).anyMatch(t -> t.is("TRIGGER"));
        int depth = 0;
        for (Token t : tokens) {
            if (trigger && (t.is("BEGIN") || t.is("CASE"))) {
                depth++;
            } else if (trigger && t.is("END")) {
                depth--;
            } else if (t.kind == Kind.PUNCTUATION && t.text.equals(";") && depth <= 0) {
                return t.end;
            }
        }
        return sql.length();
    }

    /** The first pragma the text sets that the guest may not set, or null (reading any is allowed). */
    String refusedPragma() {
        for (int i = 0; i < tokens.size(); i++) {
            if (!tokens.get(i).is("PRAGMA") || i + 1 >= tokens.size()) {
                continue;
            }
            int name = i + 1;
            if (name + 2 < tokens.size() && tokens.get(name + 1).text.equals(".")) {
                name += 2;
            }
            String pragma = tokens.get(name).text.toLowerCase(Locale.ROOT);
            boolean sets = name + 1 < tokens.size() && (tokens.get(name + 1).text.equals("=")
                    || tokens.get(name + 1).text.equals("("));
            if (sets && REFUSED_PRAGMAS.contains(pragma)) {
                return pragma;
            }
        }
        return null;
    }

    /**
     * The text with each named parameter ({@code :name}, {@code @name}, {@code $name}) replaced by a numbered
     * one ({@code ?n}), {@code n} its name's place in {@code names}, which it is added to if new. Positional
     * parameters stay as they are.
     */
    String numbered(List<String> names) {
        StringBuilder b = new StringBuilder();
        int at = 0;
        for (Token t : tokens) {
            if (t.kind != Kind.PARAMETER || t.text.startsWith("?")) {
                continue;
            }
            String name = t.text.substring(1);
            int index = names.indexOf(name);
            if (index < 0) {
                names.add(name);
                index = names.size() - 1;
            }
            b.append(sql, at, t.start).append('?').append(index + 1);
            at = t.end;
        }
        return b.append(sql, at, sql.length()).toString();
    }

    /** Whether the text has a named parameter. */
    boolean hasNamedParameters() {
        return tokens.stream().anyMatch(t -> t.kind == Kind.PARAMETER && !t.text.startsWith("?"));
    }

    private static List<Token> scan(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            int start = i;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int close = s.indexOf("*/", i + 2);
                i = close < 0 ? n : close + 2;
            } else if (c == '\'' || c == '"' || c == '`') {
                i = quoted(s, i, c);
                out.add(new Token(Kind.QUOTED, s.substring(start, i), start, i));
            } else if (c == '[') {
                int close = s.indexOf(']', i + 1);
                i = close < 0 ? n : close + 1;
                out.add(new Token(Kind.QUOTED, s.substring(start, i), start, i));
            } else if (c == '?') {
                i++;
                while (i < n && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(Kind.PARAMETER, s.substring(start, i), start, i));
            } else if ((c == ':' || c == '@' || c == '$') && i + 1 < n && isNameChar(s.charAt(i + 1))) {
                i++;
                while (i < n && (isNameChar(s.charAt(i)) || s.charAt(i) == ':' && c == '$' && i + 1 < n && s.charAt(i + 1) == ':')) {
                    i += s.charAt(i) == ':' ? 2 : 1;
                }
                out.add(new Token(Kind.PARAMETER, s.substring(start, i), start, i));
            } else if (isNameChar(c)) {
                while (i < n && isNameChar(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(Kind.WORD, s.substring(start, i), start, i));
            } else {
                i++;
                out.add(new Token(Kind.PUNCTUATION, s.substring(start, i), start, i));
            }
        }
        return out;
    }

    private static int quoted(String s, int i, char quote) {
        int j = i + 1;
        while (j < s.length()) {
            if (s.charAt(j) == quote) {
                if (j + 1 < s.length() && s.charAt(j + 1) == quote) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return s.length();
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c > 0x7f;
    }
}
