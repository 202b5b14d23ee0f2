package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Quota;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * One principal's {@code /tmp} in PostgreSQL ({@link PostgresStore}): a row per file, directory and link, and
 * the principal's row holding its quota ledger. Every change of names is one transaction that first locks the
 * principal's row, so a principal's changes on all nodes are applied one at a time and the ledger changes in
 * the same transaction as the entries it counts.
 *
 * <p>A file opened for writing is worked on in a copy on this node's disk ({@link WorkingCopy}), shared by
 * every descriptor of the file on this node, so a call reads what it wrote as on any filesystem. When the last
 * descriptor closes, the copy is committed in one transaction with the ledger: appended to what the file holds
 * then when every write was past the length it had when the copy was made, else replacing it. A node that dies
 * leaves every file as its last commit left it, never part of a write. A commit that would go over the quota
 * fails the close with {@code EDQUOT} and leaves the file as it was.
 */
final class PostgresTree implements FileTree {

    /** Read-only opens of files up to this size are served from memory, larger ones from a copy on disk. */
    private static final int SMALL = 64 * 1024;
    /** The longest name and path a Linux filesystem takes, in bytes of UTF-8. */
    private static final int NAME_MAX = 255;
    private static final int PATH_MAX = 4095;
    private static final System.Logger LOG = System.getLogger(PostgresTree.class.getName());
    private static final int DIRECTORY_MODE = 0755;
    private static final int FILE_MODE = 0644;

    private final DataSource source;
    private final long principal;
    private final Quota quota;
    private final Path scratch;
    private final long device = Devices.next();
    private final FileTime born;
    /** The files open for writing on this node, by inode; guarded by {@code this}. */
    private final Map<Long, WorkingCopy> working = new HashMap<>();
    /**
     * How long this node answers a lookup from what it read lately, when nothing changed here since: GraalPy
     * looks a file up a dozen times as a program opens it, each a round trip otherwise. Other nodes' changes of
     * names are seen within this time, as an NFS client's attribute cache sees them; changes always act on what
     * the database holds, under the principal's lock.
     */
    static final long FRESH_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);
    private static final int MAX_RECENT = 10_000;

    private record Recent(java.util.Optional<Row> row, long at) {
    }

    /** Lookups of read-only operations, by path; emptied by every change made through this tree. */
    private final Map<VirtualPath, Recent> recent = new java.util.concurrent.ConcurrentHashMap<>();
    /** The connections of read-only operations in progress, which may answer from {@link #recent}. */
    private final Set<Connection> reading = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The ledger each change in progress holds locked, by its connection (see {@link #held}). */
    private final Map<Connection, long[]> ledgers = new java.util.concurrent.ConcurrentHashMap<>();
    /** The connections of opens to read in progress, whose lookups also read a small file's bytes. */
    private final Set<Connection> withContent = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** What each operation in progress has read, by its connection. */
    private final Map<Connection, Map<VirtualPath, java.util.Optional<Row>>> lookups = new java.util.concurrent.ConcurrentHashMap<>();
    /** The ledger's bytes as last read from the database. */
    private volatile long knownBytes;

    PostgresTree(DataSource source, long principal, long bornNanos, Quota quota, Path scratch) {
        this.source = source;
        this.principal = principal;
        this.quota = quota;
        this.scratch = scratch;
        this.born = FileTime.from(bornNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * An entry as one query read it; {@code content}, a small file's bytes read in the same query (an open to
     * read asks for them with the lookup, see {@link #withContent}), else null. Rows kept in {@link #recent} carry
     * no bytes: a file's bytes are always as fresh as the query that read them.
     */
    private record Row(long inode, FileAttributes.Type kind, int mode, long size, long modified, long accessed,
                       long changed, String target, byte[] content) {

        Row withoutContent() {
            return content == null ? this : new Row(inode, kind, mode, size, modified, accessed, changed, target, null);
        }
    }

    private interface Work<T> {
        T apply(Connection c) throws IOException, SQLException;
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public StoreSpace space() throws IOException {
        return StoreSpace.ofQuota(quota.maxBytes(), usedBytes());
    }

    /** Bytes held by the files, as the ledger counts them. */
    long usedBytes() throws IOException {
        return ledger()[0];
    }

    /** Files, directories and links, as the ledger counts them. */
    long usedEntries() throws IOException {
        return ledger()[1];
    }

    private long[] ledger() throws IOException {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT used_bytes, used_entries FROM cordon_principal WHERE id = ?")) {
                s.setLong(1, principal);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return new long[] {r.getLong(1), r.getLong(2)};
                }
            }
        }, null);
    }

    @Override
    public FileAttributes attributes(VirtualPath path, boolean followLinks) throws IOException {
        return read(c -> {
            Row row = existing(c, resolve(c, path, followLinks, false), path);
            long size = row.size();
            FileTime modified = time(row.modified());
            synchronized (this) {
                WorkingCopy w = working.get(row.inode());
                if (w != null && w.dirty()) {
                    size = w.size();
                    modified = w.modified();
                }
            }
            return new FileAttributes(row.kind(), size, row.mode(), modified, time(row.accessed()),
                    time(row.changed()), row.inode(), device, row.kind() == FileAttributes.Type.DIRECTORY ? 2 : 1,
                    0, 0);
        }, path);
    }

    @Override
    public VirtualPath realPath(VirtualPath path) throws IOException {
        return read(c -> {
            VirtualPath resolved = resolve(c, path, true, false);
            existing(c, resolved, path);
            return resolved;
        }, path);
    }

    @Override
    public SeekableByteChannel open(VirtualPath path, Set<? extends OpenOption> options) throws IOException {
        boolean follow = !options.contains(LinkOption.NOFOLLOW_LINKS);
        if (!OpenOptions.mutates(options)) {
            try {
                return openToRead(path, options, follow);
            } catch (NoSuchFileException e) {
                // Perhaps from a lookup made lately, of a file another node has replaced since: ask again.
                recent.clear();
                return openToRead(path, options, follow);
            }
        }
        return openToWrite(path, options, follow);
    }

    private SeekableByteChannel openToRead(VirtualPath path, Set<? extends OpenOption> options, boolean follow)
            throws IOException {
        // The lookup of the file itself reads its bytes too, if it is small: one round trip, not two.
        Row row = read(c -> {
            withContent.add(c);
            try {
                Row r = existing(c, resolve(c, path, follow, false), path);
                checkOpenable(r, options, path, false);
                return r;
            } finally {
                withContent.remove(c);
            }
        }, path);
        if (row.kind() == FileAttributes.Type.DIRECTORY) {
            return new ByteArrayChannel(new byte[0]);
        }
        synchronized (this) {
            WorkingCopy w = working.get(row.inode());
            if (w != null && w.dirty()) {
                w.descriptors++;
                return w.open(false, false, false, false);
            }
        }
        return row.content() != null ? new ByteArrayChannel(row.content()) : snapshot(row, path);
    }

    private SeekableByteChannel openToWrite(VirtualPath path, Set<? extends OpenOption> options, boolean follow)
            throws IOException {
        boolean creates = options.contains(StandardOpenOption.CREATE)
                || options.contains(StandardOpenOption.CREATE_NEW);
        boolean append = options.contains(StandardOpenOption.APPEND);
        boolean truncate = options.contains(StandardOpenOption.TRUNCATE_EXISTING) && !append;
        // An existing file is opened on a fresh lookup alone: nothing changes in the database until its commit,
        // so there is no ledger to lock and no lookup of this node's to forget.
        long[] opened = read(c -> {
            Row row = row(c, resolve(c, path, follow, creates));
            if (row == null) {
                return null;
            }
            checkOpenable(row, options, path, true);
            return new long[] {row.inode(), 0, row.size()};
        }, path, false);
        if (opened == null) {
            opened = change(c -> {
                VirtualPath resolved = resolve(c, path, follow, creates);
                Row row = row(c, resolved);
                if (row == null) {
                    if (!creates) {
                        throw new NoSuchFileException(path.toString());
                    }
                    directoryOf(c, resolved, path);
                    return new long[] {insert(c, resolved, FileAttributes.Type.FILE, FILE_MODE, null, path), 1, 0};
                }
                checkOpenable(row, options, path, true);
                return new long[] {row.inode(), 0, row.size()};
            }, path);
        }
        long inode = opened[0];
        boolean created = opened[1] == 1;
        try {
            return workingCopy(inode, created, truncate ? opened[2] : -1, path)
                    .open(true, append, truncate, created);
        } catch (IOException | RuntimeException e) {
            if (created) {
                discardCreated(inode);
            }
            throw e;
        }
    }

    private static void checkOpenable(Row row, Set<? extends OpenOption> options, VirtualPath path, boolean mutates)
            throws IOException {
        if (row.kind() == FileAttributes.Type.SYMLINK) {
            throw new FileSystemLoopException(path.toString());
        }
        if (options.contains(StandardOpenOption.CREATE_NEW)) {
            throw new FileAlreadyExistsException(path.toString());
        }
        if (row.kind() == FileAttributes.Type.DIRECTORY) {
            if (mutates) {
                throw new FileSystemException(path.toString(), null, "Is a directory");
            }
            return;
        }
        boolean read = options.contains(StandardOpenOption.READ) || !mutates;
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        if (read && (row.mode() & 0400) == 0 || write && (row.mode() & 0200) == 0) {
            throw new AccessDeniedException(path.toString());
        }
    }

    /**
     * The working copy of a file on this node, made from what the database holds if there is none yet, with
     * one more descriptor counted. An open that truncates ({@code truncatedFrom}, the length the database gave,
     * else -1) starts an empty copy without reading the bytes it would throw away.
     */
    private WorkingCopy workingCopy(long inode, boolean created, long truncatedFrom, VirtualPath path)
            throws IOException {
        synchronized (this) {
            WorkingCopy w = working.get(inode);
            if (w != null) {
                w.descriptors++;
                return w;
            }
        }
        Path file = Files.createTempFile(scratch, "open", ".tmp");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.DELETE_ON_CLOSE);
        try {
            if (!created && truncatedFrom < 0) {
                read(c -> {
                    try (PreparedStatement s = c.prepareStatement("SELECT content FROM cordon_entry WHERE inode = ?")) {
                        s.setLong(1, inode);
                        try (ResultSet r = s.executeQuery()) {
                            if (!r.next()) {
                                throw new NoSuchFileException(path.toString());
                            }
                            try (InputStream in = r.getBinaryStream(1)) {
                                channel.transferFrom(java.nio.channels.Channels.newChannel(in), 0, Long.MAX_VALUE);
                            }
                        }
                    }
                    return null;
                }, path);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        synchronized (this) {
            WorkingCopy existing = working.get(inode);
            if (existing != null) {
                channel.close();
                existing.descriptors++;
                return existing;
            }
            WorkingCopy w = new WorkingCopy(this, inode, channel);
            if (!created && truncatedFrom > 0) {
                w.emptiedFrom(truncatedFrom);
            }
            w.descriptors++;
            working.put(inode, w);
            return w;
        }
    }

    /** A read-only copy of a file as the database holds it now. */
    private SeekableByteChannel snapshot(Row row, VirtualPath path) throws IOException {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT content FROM cordon_entry WHERE inode = ?")) {
                s.setLong(1, row.inode());
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        throw new NoSuchFileException(path.toString());
                    }
                    if (row.size() <= SMALL) {
                        return new ByteArrayChannel(r.getBytes(1));
                    }
                    Path file = Files.createTempFile(scratch, "read", ".tmp");
                    try (InputStream in = r.getBinaryStream(1)) {
                        Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE);
                }
            }
        }, path);
    }

    /** Whether a write that grows the files open here by {@code growth} bytes stays within the quota. */
    synchronized boolean mayGrow(long growth) throws IOException {
        long pending = 0;
        for (WorkingCopy w : working.values()) {
            pending += w.growth();
        }
        return knownBytes + pending + growth <= quota.maxBytes();
    }

    /**
     * A descriptor of {@code copy} is closed. When it was the last, the copy is committed if it changed (a
     * descriptor opened meanwhile waits for the commit before it writes), and goes once no descriptor is open
     * and nothing is left to commit: a descriptor that wrote during the commit commits again when it closes.
     * {@code discard}: the descriptor created the file and went over the quota, so the file goes. A commit that
     * fails gives up the copy's changes.
     */
    void closed(WorkingCopy copy, boolean discard) throws IOException {
        synchronized (this) {
            if (--copy.descriptors > 0 && !discard) {
                return;
            }
        }
        try {
            if (discard) {
                copy.forget();
                discardCreated(copy.inode());
            } else {
                synchronized (copy) {
                    if (copy.dirty()) {
                        try {
                            commit(copy);
                            copy.committed();
                        } catch (IOException | RuntimeException e) {
                            copy.forget();
                            throw e;
                        }
                    }
                }
            }
        } finally {
            synchronized (this) {
                if (copy.descriptors == 0 && !copy.dirty() && working.remove(copy.inode(), copy)) {
                    copy.release();
                }
            }
        }
    }

    /**
     * Commits a copy: its bytes and the ledger in one round trip, by the function {@code cordon_commit}
     * (migration V3), which locks the principal's row first as every change does. A commit past the quota
     * changes nothing.
     */
    private void commit(WorkingCopy copy) throws IOException {
        boolean append = copy.appendOnly();
        long start = append ? copy.baseSize() : 0;
        long length = copy.size() - start;
        try (Connection c = source.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT used_bytes, used_entries, delta"
                     + " FROM cordon_commit(?, ?, ?, ?, ?, ?)");
             InputStream in = copy.stream(start)) {
            s.setLong(1, principal);
            s.setLong(2, copy.inode());
            s.setBoolean(3, append);
            s.setBinaryStream(4, in, length);
            s.setLong(5, nanos(copy.modified()));
            s.setLong(6, quota.maxBytes());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return; // deleted meanwhile: as on POSIX, its bytes go with it
                }
                knownBytes = r.getLong(1);
                r.getLong(3);
                if (r.wasNull()) {
                    throw QuotaLedger.exceeded(null);
                }
            }
        } catch (SQLException e) {
            throw storeFailed(e, null);
        } finally {
            // Sizes changed: lookups made before are not answers after.
            recent.clear();
        }
    }

    /** A file this open created and could not finish opening, or that went over the quota: it goes. */
    void discardCreated(long inode) throws IOException {
        change(c -> {
            Long size = null;
            try (PreparedStatement s = c.prepareStatement("DELETE FROM cordon_entry WHERE inode = ? RETURNING size")) {
                s.setLong(1, inode);
                try (ResultSet r = s.executeQuery()) {
                    if (r.next()) {
                        size = r.getLong(1);
                    }
                }
            }
            if (size != null) {
                ledgerChange(c, -size, -1);
            }
            return null;
        }, null);
    }

    @Override
    public List<String> list(VirtualPath directory) throws IOException {
        return read(c -> {
            VirtualPath resolved = resolve(c, directory, true, false);
            if (existing(c, resolved, directory).kind() != FileAttributes.Type.DIRECTORY) {
                throw new NotDirectoryException(directory.toString());
            }
            List<String> names = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT name FROM cordon_entry WHERE principal = ? AND parent = ?")) {
                s.setLong(1, principal);
                s.setString(2, resolved.toString());
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        names.add(r.getString(1));
                    }
                }
            }
            names.sort(null);
            return names;
        }, directory);
    }

    @Override
    public void createDirectory(VirtualPath path) throws IOException {
        if (path.isRoot()) {
            throw new FileAlreadyExistsException("/");
        }
        createEntry(path, FileAttributes.Type.DIRECTORY, DIRECTORY_MODE, null);
    }

    /**
     * Creates a guest link. The virtual filesystem has already checked that the target stays in this tree and
     * given it in the tree's coordinates when absolute.
     */
    @Override
    public void createSymbolicLink(VirtualPath link, String target) throws IOException {
        createEntry(link, FileAttributes.Type.SYMLINK, 0777, target);
    }

    private void createEntry(VirtualPath path, FileAttributes.Type kind, int mode, String target) throws IOException {
        change(c -> {
            VirtualPath entry = inDirectory(c, path);
            if (row(c, entry) != null) {
                throw new FileAlreadyExistsException(path.toString());
            }
            insert(c, entry, kind, mode, target, path);
            return null;
        }, path);
    }

    @Override
    public void delete(VirtualPath path) throws IOException {
        change(c -> {
            VirtualPath entry = inDirectory(c, path);
            Row row = existing(c, entry, path);
            if (row.kind() == FileAttributes.Type.DIRECTORY && hasChildren(c, entry)) {
                throw new DirectoryNotEmptyException(path.toString());
            }
            remove(c, row);
            return null;
        }, path);
    }

    @Override
    public void move(VirtualPath from, VirtualPath to, boolean replaceExisting) throws IOException {
        if (from.isRoot() || to.isRoot()) {
            throw new AccessDeniedException((from.isRoot() ? from : to).toString(), null, "Device or resource busy");
        }
        change(c -> {
            VirtualPath source = resolve(c, from.parent(), true, false).child(from.fileName());
            VirtualPath target = inDirectory(c, to);
            Row s = existing(c, source, from);
            if (source.equals(target)) {
                return null;
            }
            boolean directory = s.kind() == FileAttributes.Type.DIRECTORY;
            if (directory && target.startsWith(source)) {
                throw new FileSystemException(from.toString(), to.toString(), "Invalid argument");
            }
            Row t = row(c, target);
            if (t != null) {
                if (!replaceExisting) {
                    throw new FileAlreadyExistsException(to.toString());
                }
                boolean targetDirectory = t.kind() == FileAttributes.Type.DIRECTORY;
                if (directory && !targetDirectory) {
                    throw new NotDirectoryException(to.toString());
                }
                if (!directory && targetDirectory) {
                    throw new FileSystemException(to.toString(), null, "Is a directory");
                }
                if (targetDirectory && hasChildren(c, target)) {
                    throw new DirectoryNotEmptyException(to.toString());
                }
                remove(c, t);
            }
            forget(c);
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE cordon_entry SET parent = ?, name = ?, changed_ns = ? WHERE inode = ?")) {
                u.setString(1, target.parent().toString());
                u.setString(2, target.fileName());
                u.setLong(3, now());
                u.setLong(4, s.inode());
                u.executeUpdate();
            }
            if (directory) {
                // Everything below moves with it: '/a/b' and '/a/b/c' become '/x' and '/x/c'.
                try (PreparedStatement u = c.prepareStatement("UPDATE cordon_entry SET parent = ? || substr(parent, ?)"
                        + " WHERE principal = ? AND (parent = ? OR starts_with(parent, ?))")) {
                    u.setString(1, target.toString());
                    u.setInt(2, source.toString().length() + 1);
                    u.setLong(3, principal);
                    u.setString(4, source.toString());
                    u.setString(5, source + "/");
                    u.executeUpdate();
                }
            }
            return null;
        }, from);
    }

    @Override
    public String readSymbolicLink(VirtualPath link) throws IOException {
        return read(c -> {
            Row row = existing(c, resolve(c, link, false, false), link);
            if (row.kind() != FileAttributes.Type.SYMLINK) {
                throw new NotLinkException(link.toString());
            }
            return row.target();
        }, link);
    }

    @Override
    public void setTimes(VirtualPath path, FileTime lastModified, FileTime lastAccess) throws IOException {
        update(path, "modified_ns = coalesce(?, modified_ns), accessed_ns = coalesce(?, accessed_ns)", s -> {
            setNanos(s, 1, lastModified);
            setNanos(s, 2, lastAccess);
        });
    }

    @Override
    public void setMode(VirtualPath path, int mode) throws IOException {
        update(path, "mode = ?, changed_ns = " + now(), s -> s.setInt(1, mode & 0777));
    }

    private interface Parameters {
        void set(PreparedStatement s) throws SQLException;
    }

    /** Changes columns of the entry {@code path} leads to, links followed; the root's are fixed. */
    private void update(VirtualPath path, String assignments, Parameters parameters) throws IOException {
        change(c -> {
            Row row = existing(c, resolve(c, path, true, false), path);
            if (row.inode() == 0) {
                return null;
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE cordon_entry SET " + assignments
                    + " WHERE inode = " + row.inode())) {
                parameters.set(s);
                s.executeUpdate();
            }
            return null;
        }, path);
    }

    private static void setNanos(PreparedStatement s, int index, FileTime time) throws SQLException {
        if (time == null) {
            s.setNull(index, java.sql.Types.BIGINT);
        } else {
            s.setLong(index, nanos(time));
        }
    }

    // ----- lookups

    private VirtualPath resolve(Connection c, VirtualPath path, boolean followLast, boolean missingLastOk)
            throws IOException {
        return LinkWalk.resolve(path, followLast, missingLastOk, new LinkWalk.Entries() {
            @Override
            public FileAttributes.Type kind(VirtualPath p) throws IOException {
                Row r = row(c, p);
                return r == null ? null : r.kind();
            }

            @Override
            public VirtualPath target(VirtualPath directory, VirtualPath link) throws IOException {
                return LinkWalk.guestTarget(directory, row(c, link).target());
            }
        });
    }

    /** The path of an entry to add or remove: its directory resolved (links followed), which must be one. */
    private VirtualPath inDirectory(Connection c, VirtualPath path) throws IOException {
        if (path.isRoot()) {
            // The tree's root is a mount point: it exists, and it cannot go away.
            throw new AccessDeniedException("/", null, "Device or resource busy");
        }
        VirtualPath parent = resolve(c, path.parent(), true, false);
        VirtualPath entry = parent.child(path.fileName());
        directoryOf(c, entry, path);
        return entry;
    }

    private void directoryOf(Connection c, VirtualPath entry, VirtualPath asked) throws IOException {
        if (existing(c, entry.parent(), asked).kind() != FileAttributes.Type.DIRECTORY) {
            throw new NotDirectoryException(asked.toString());
        }
    }

    private Row existing(Connection c, VirtualPath resolved, VirtualPath asked) throws IOException {
        Row row = row(c, resolved);
        if (row == null) {
            throw new NoSuchFileException(asked.toString());
        }
        return row;
    }

    /**
     * The entry at exactly {@code path}, or null. Within one operation (one connection, handed out to one
     * operation at a time) an entry is read once: a walk and the operation's own look at its result are one
     * query, and a change made by the operation drops what it had read.
     */
    private Row row(Connection c, VirtualPath path) throws IOException {
        Map<VirtualPath, java.util.Optional<Row>> seen = lookups.get(c);
        if (seen != null) {
            java.util.Optional<Row> known = seen.get(path);
            if (known != null) {
                return known.orElse(null);
            }
        }
        boolean mayRemember = reading.contains(c);
        if (mayRemember) {
            Recent r = recent.get(path);
            if (r != null && System.nanoTime() - r.at() < FRESH_NANOS) {
                if (seen != null) {
                    seen.put(path, r.row());
                }
                return r.row().orElse(null);
            }
        }
        long at = System.nanoTime();
        Row row = query(c, path);
        if (seen != null) {
            seen.put(path, java.util.Optional.ofNullable(row));
        }
        if (mayRemember) {
            if (recent.size() >= MAX_RECENT) {
                recent.clear();
            }
            recent.put(path, new Recent(java.util.Optional.ofNullable(row == null ? null : row.withoutContent()), at));
        }
        return row;
    }

    private Row query(Connection c, VirtualPath path) throws IOException {
        if (path.isRoot()) {
            long t = nanos(born);
            return new Row(0, FileAttributes.Type.DIRECTORY, 0700, 0, t, t, t, null, null);
        }
        checkStorable(path);
        try (PreparedStatement s = c.prepareStatement("SELECT inode, kind, mode, size, modified_ns, accessed_ns,"
                + " changed_ns, target, CASE WHEN ? AND kind = 'f' AND size <= " + SMALL + " THEN content END"
                + " FROM cordon_entry WHERE principal = ? AND parent = ? AND name = ?")) {
            s.setBoolean(1, withContent.contains(c));
            s.setLong(2, principal);
            s.setString(3, path.parent().toString());
            s.setString(4, path.fileName());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                FileAttributes.Type kind = switch (r.getString(2)) {
                    case "d" -> FileAttributes.Type.DIRECTORY;
                    case "l" -> FileAttributes.Type.SYMLINK;
                    default -> FileAttributes.Type.FILE;
                };
                return new Row(r.getLong(1), kind, r.getInt(3), r.getLong(4), r.getLong(5), r.getLong(6),
                        r.getLong(7), r.getString(8), r.getBytes(9));
            }
        } catch (SQLException e) {
            throw storeFailed(e, path);
        }
    }

    /**
     * Names longer than Linux takes are {@code ENAMETOOLONG}, as on the local store; a name PostgreSQL's text
     * cannot hold exactly (a lone surrogate) would alias another, and is refused.
     */
    private static void checkStorable(VirtualPath path) throws FileSystemException {
        String s = path.toString();
        if (s.getBytes(StandardCharsets.UTF_8).length > PATH_MAX
                || path.fileName().getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new FileSystemException(s, null, "File name too long");
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(ch)) {
                throw new FileSystemException(s, null, "Invalid or incomplete multibyte or wide character");
            }
        }
    }

    /** The operation changed entries: what it had read of them is read again. */
    private void forget(Connection c) {
        Map<VirtualPath, java.util.Optional<Row>> seen = lookups.get(c);
        if (seen != null) {
            seen.clear();
        }
    }

    private boolean hasChildren(Connection c, VirtualPath directory) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT 1 FROM cordon_entry WHERE principal = ? AND parent = ? LIMIT 1")) {
            s.setLong(1, principal);
            s.setString(2, directory.toString());
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    // ----- changes and the ledger

    private long insert(Connection c, VirtualPath entry, FileAttributes.Type kind, int mode, String target,
                        VirtualPath asked) throws IOException, SQLException {
        forget(c);
        reserveEntry(c, asked);
        long now = now();
        try (PreparedStatement s = c.prepareStatement("INSERT INTO cordon_entry (principal, parent, name, kind, mode,"
                + " size, modified_ns, accessed_ns, changed_ns, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + " RETURNING inode")) {
            s.setLong(1, principal);
            s.setString(2, entry.parent().toString());
            s.setString(3, entry.fileName());
            s.setString(4, kind == FileAttributes.Type.DIRECTORY ? "d" : kind == FileAttributes.Type.SYMLINK ? "l" : "f");
            s.setInt(5, mode);
            s.setLong(6, target == null ? 0 : target.getBytes(StandardCharsets.UTF_8).length);
            s.setLong(7, now);
            s.setLong(8, now);
            s.setLong(9, now);
            s.setString(10, target);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private void remove(Connection c, Row row) throws SQLException {
        forget(c);
        try (PreparedStatement s = c.prepareStatement("DELETE FROM cordon_entry WHERE inode = ?")) {
            s.setLong(1, row.inode());
            s.executeUpdate();
        }
        ledgerChange(c, row.kind() == FileAttributes.Type.FILE ? -row.size() : 0, -1);
    }

    private long[] lockLedger(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT used_bytes, used_entries FROM cordon_principal WHERE id = ? FOR UPDATE")) {
            s.setLong(1, principal);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("principal " + principal + " is gone");
                }
                long[] ledger = {r.getLong(1), r.getLong(2)};
                knownBytes = ledger[0];
                return ledger;
            }
        }
    }

    /** The ledger of the change in progress on {@code c}: locked at its start, kept current by its changes. */
    private long[] held(Connection c) {
        return ledgers.get(c);
    }

    private void reserveEntry(Connection c, VirtualPath path) throws SQLException, FileSystemException {
        if (held(c)[1] + 1 > quota.maxEntries()) {
            throw QuotaLedger.exceeded(path);
        }
        ledgerChange(c, 0, 1);
    }

    private void ledgerChange(Connection c, long bytes, long entries) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE cordon_principal SET used_bytes = used_bytes + ?,"
                + " used_entries = used_entries + ? WHERE id = ? RETURNING used_bytes, used_entries")) {
            s.setLong(1, bytes);
            s.setLong(2, entries);
            s.setLong(3, principal);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                long[] ledger = held(c);
                ledger[0] = r.getLong(1);
                ledger[1] = r.getLong(2);
                knownBytes = ledger[0];
            }
        }
    }

    // ----- connections

    /** Lookups on their own, each statement seeing what is committed when it runs. */
    private <T> T read(Work<T> work, VirtualPath path) throws IOException {
        return read(work, path, true);
    }

    /**
     * Lookups on their own; with {@code recentOk} false, every lookup asks the database (an open to write must
     * act on the entry that is there now, not on one another node replaced a moment ago).
     */
    private <T> T read(Work<T> work, VirtualPath path, boolean recentOk) throws IOException {
        try (Connection c = source.getConnection()) {
            lookups.put(c, new HashMap<>());
            if (recentOk) {
                reading.add(c);
            }
            try {
                return work.apply(c);
            } finally {
                reading.remove(c);
                lookups.remove(c);
            }
        } catch (SQLException e) {
            throw storeFailed(e, path);
        }
    }

    /** A change: one transaction, holding the principal's row from its start, so changes apply one at a time. */
    private <T> T change(Work<T> work, VirtualPath path) throws IOException {
        try (Connection c = source.getConnection()) {
            c.setAutoCommit(false);
            lookups.put(c, new HashMap<>());
            try {
                ledgers.put(c, lockLedger(c));
                T result = work.apply(c);
                c.commit();
                return result;
            } catch (IOException | SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                lookups.remove(c);
                ledgers.remove(c);
                // Whatever this change did, lookups made before it are not answers after it.
                recent.clear();
            }
        } catch (SQLException e) {
            throw storeFailed(e, path);
        }
    }

    /** A store that fails is an I/O error to the guest: its cause is the host's to log, not the guest's to read. */
    private static FileSystemException storeFailed(SQLException e, VirtualPath path) {
        FileSystemException f = new FileSystemException(path == null ? null : path.toString(), null,
                "Input/output error");
        f.initCause(e);
        LOG.log(System.Logger.Level.WARNING, "the state database failed", e);
        return f;
    }

    private static long now() {
        return PostgresStore.nowNanos();
    }

    private static long nanos(FileTime t) {
        return t.to(TimeUnit.NANOSECONDS);
    }

    private static FileTime time(long nanos) {
        return FileTime.from(nanos, TimeUnit.NANOSECONDS);
    }
}
