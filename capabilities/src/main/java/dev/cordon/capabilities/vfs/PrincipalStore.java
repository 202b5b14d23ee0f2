package dev.cordon.capabilities.vfs;

import dev.cordon.capabilities.Principal;
import dev.cordon.capabilities.Quota;

import java.io.IOException;

/**
 * Where principals keep what outlives a call: each one's writable {@code /tmp} and the ledger of its
 * {@link Quota}. Two stores keep the same promises: {@link DataDirectory} (a directory on this machine, the
 * default) and {@link PostgresStore} (PostgreSQL, shared by every node of a service).
 *
 * <p>What both promise (docs/state.md): a principal's tree is the same for all its calls; its quota holds
 * across all of them at once, the ledger changing with the data it counts; a change of names (create,
 * delete, rename, link, mode, times) is visible to every later operation on its node at once, and on other
 * nodes within a quarter of a second (an open to read that finds nothing looks again at once); the bytes
 * written to a file are visible at once to every call on the node that wrote them, and to other nodes when
 * the last descriptor of the file on that node is closed, all of them at once, never part of a write.
 */
public interface PrincipalStore extends AutoCloseable {

    /** The writable {@code /tmp} of {@code principal}, created on first use. */
    FileTree tmp(Principal principal) throws IOException;

    /** The quota each principal's tree is held to. */
    Quota quota();

    /** Whether the store answers now (a database within two seconds); a directory on this machine always does. */
    default boolean reachable() {
        return true;
    }

    /** Releases what the store holds open (connections); trees handed out stop working. */
    @Override
    void close();
}
