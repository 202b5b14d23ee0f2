-- The commit of a file's bytes (PostgresTree.commit) in one round trip: the principal's row locked first, as
-- every change of its tree locks it, then the entry's size read (stable under that lock), the quota checked,
-- and the entry and the ledger changed together. In PL/pgSQL each statement sees what was committed before it
-- ran, so the size read after the lock is the one it replaces.
-- Returns no row if the entry is gone (deleted meanwhile: its bytes go with it); a row whose delta is NULL if
-- the change would go past max_bytes (nothing changed).
CREATE FUNCTION cordon_commit(p_principal BIGINT, p_inode BIGINT, p_append BOOLEAN, p_bytes BYTEA,
                              p_time_ns BIGINT, p_max_bytes BIGINT)
    RETURNS TABLE (used_bytes BIGINT, used_entries BIGINT, delta BIGINT)
    LANGUAGE plpgsql AS $$
DECLARE
    v_used    BIGINT;
    v_entries BIGINT;
    v_old     BIGINT;
    v_new     BIGINT;
BEGIN
    SELECT p.used_bytes, p.used_entries INTO v_used, v_entries
        FROM cordon_principal p WHERE p.id = p_principal FOR UPDATE;
    SELECT e.size INTO v_old FROM cordon_entry e WHERE e.inode = p_inode AND e.principal = p_principal;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_new := CASE WHEN p_append THEN v_old + length(p_bytes) ELSE length(p_bytes) END;
    IF v_new > v_old AND v_used + (v_new - v_old) > p_max_bytes THEN
        RETURN QUERY SELECT v_used, v_entries, NULL::BIGINT;
        RETURN;
    END IF;
    UPDATE cordon_entry e
        SET content = CASE WHEN p_append THEN e.content || p_bytes ELSE p_bytes END,
            size = v_new, modified_ns = p_time_ns, changed_ns = p_time_ns
        WHERE e.inode = p_inode;
    UPDATE cordon_principal p SET used_bytes = p.used_bytes + (v_new - v_old) WHERE p.id = p_principal
        RETURNING p.used_bytes, p.used_entries INTO v_used, v_entries;
    RETURN QUERY SELECT v_used, v_entries, v_new - v_old;
END
$$;
