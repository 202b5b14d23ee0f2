package dev.cordon.examples.zoobar;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Zoobar's state in one SQLite file: users (with salted PBKDF2 password hashes and their profile code),
 * sessions and transfers. One connection, used under this object's lock: SQLite writes one at a time
 * anyway, and a transfer reads and writes balances in one transaction.
 */
public final class ZoobarStore implements AutoCloseable {

    /** What every new user starts with. */
    public static final int STARTING_ZOOBARS = 10;
    private static final int PBKDF2_ITERATIONS = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connection db;

    /** A user as others see them. */
    public record User(String username, int zoobars, String profile) {
    }

    /** One transfer, with its time in UTC (ISO-8601). */
    public record Transfer(String sender, String recipient, int amount, String time) {
    }

    /** A refusal to show to the user: bad input, not a fault. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    public ZoobarStore(Path file) throws SQLException {
        this.db = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, salt TEXT NOT NULL, "
                    + "pwhash TEXT NOT NULL, zoobars INTEGER NOT NULL CHECK (zoobars >= 0), profile TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, username TEXT NOT NULL "
                    + "REFERENCES users(username), created TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS transfers (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                    + "sender TEXT NOT NULL, recipient TEXT NOT NULL, amount INTEGER NOT NULL, time TEXT NOT NULL)");
        }
    }

    /**
     * Creates a user with {@link #STARTING_ZOOBARS} and an empty profile.
     *
     * @throws Refused for an empty name or password, or a name already taken
     */
    public synchronized void register(String username, String password) throws Refused, SQLException {
        if (username == null || username.isEmpty() || username.length() > 100) {
            throw new Refused("a username is 1 to 100 characters");
        }
        if (password == null || password.isEmpty()) {
            throw new Refused("a password cannot be empty");
        }
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        try (PreparedStatement p = db.prepareStatement(
                "INSERT INTO users (username, salt, pwhash, zoobars, profile) VALUES (?, ?, ?, ?, '')")) {
            p.setString(1, username);
            p.setString(2, HexFormat.of().formatHex(salt));
            p.setString(3, HexFormat.of().formatHex(hash(password, salt)));
            p.setInt(4, STARTING_ZOOBARS);
            p.executeUpdate();
        } catch (SQLException e) {
            if (e.getMessage() != null && e.getMessage().contains("UNIQUE")) {
                throw new Refused("the username " + username + " is taken");
            }
            throw e;
        }
    }

    /**
     * Checks a password and opens a session.
     *
     * @return the session token
     * @throws Refused for an unknown user or a wrong password (the same message for both)
     */
    public synchronized String login(String username, String password) throws Refused, SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT salt, pwhash FROM users WHERE username = ?")) {
            p.setString(1, username == null ? "" : username);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next() || password == null || !MessageDigest.isEqual(
                        hash(password, HexFormat.of().parseHex(r.getString(1))),
                        HexFormat.of().parseHex(r.getString(2)))) {
                    throw new Refused("wrong username or password");
                }
            }
        }
        byte[] t = new byte[24];
        RANDOM.nextBytes(t);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(t);
        try (PreparedStatement p = db.prepareStatement("INSERT INTO sessions VALUES (?, ?, ?)")) {
            p.setString(1, token);
            p.setString(2, username);
            p.setString(3, Instant.now().toString());
            p.executeUpdate();
        }
        return token;
    }

    public synchronized void logout(String token) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("DELETE FROM sessions WHERE token = ?")) {
            p.setString(1, token);
            p.executeUpdate();
        }
    }

    /** The user a session token belongs to. */
    public synchronized Optional<String> sessionUser(String token) throws SQLException {
        if (token == null) {
            return Optional.empty();
        }
        try (PreparedStatement p = db.prepareStatement("SELECT username FROM sessions WHERE token = ?")) {
            p.setString(1, token);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }

    public synchronized Optional<User> user(String username) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT username, zoobars, profile FROM users WHERE username = ?")) {
            p.setString(1, username);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(new User(r.getString(1), r.getInt(2), r.getString(3))) : Optional.empty();
            }
        }
    }

    public synchronized void setProfile(String username, String code) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("UPDATE users SET profile = ? WHERE username = ?")) {
            p.setString(1, code);
            p.setString(2, username);
            p.executeUpdate();
        }
    }

    /**
     * Moves zoobars from {@code sender} to {@code recipient} in one transaction.
     *
     * @throws Refused for an amount that is not positive, an unknown recipient, a transfer to oneself,
     *                 or a balance too small
     */
    public synchronized void transfer(String sender, String recipient, int amount) throws Refused, SQLException {
        if (amount <= 0) {
            throw new Refused("a transfer is of at least one zoobar");
        }
        if (sender.equals(recipient)) {
            throw new Refused("a transfer needs another user");
        }
        if (user(recipient).isEmpty()) {
            throw new Refused("there is no user " + recipient);
        }
        db.setAutoCommit(false);
        try {
            try (PreparedStatement p = db.prepareStatement(
                    "UPDATE users SET zoobars = zoobars - ? WHERE username = ? AND zoobars >= ?")) {
                p.setInt(1, amount);
                p.setString(2, sender);
                p.setInt(3, amount);
                if (p.executeUpdate() != 1) {
                    throw new Refused(sender + " does not have " + amount + " zoobars");
                }
            }
            try (PreparedStatement p = db.prepareStatement("UPDATE users SET zoobars = zoobars + ? WHERE username = ?")) {
                p.setInt(1, amount);
                p.setString(2, recipient);
                p.executeUpdate();
            }
            try (PreparedStatement p = db.prepareStatement(
                    "INSERT INTO transfers (sender, recipient, amount, time) VALUES (?, ?, ?, ?)")) {
                p.setString(1, sender);
                p.setString(2, recipient);
                p.setInt(3, amount);
                p.setString(4, Instant.now().toString());
                p.executeUpdate();
            }
            db.commit();
        } catch (Refused | SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    /** The transfers {@code username} sent or received, oldest first. */
    public synchronized List<Transfer> transfers(String username) throws SQLException {
        List<Transfer> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT sender, recipient, amount, time FROM transfers "
                + "WHERE sender = ? OR recipient = ? ORDER BY id")) {
            p.setString(1, username);
            p.setString(2, username);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new Transfer(r.getString(1), r.getString(2), r.getInt(3), r.getString(4)));
                }
            }
        }
        return out;
    }

    private static byte[] hash(String password, byte[] salt) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, PBKDF2_ITERATIONS, 256)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no PBKDF2WithHmacSHA256", e);
        }
    }

    @Override
    public synchronized void close() throws SQLException {
        db.close();
    }
}
