"""The group database of the sandbox: the guest's own group, and nothing else.

GraalPy has no grp module, and a sandboxed PyPy cannot read /etc/group; this one answers from the
guest's world as the host defines it (cordon._world), so that code written for CPython finds its
user's group and gets KeyError for any other, as CPython does for an unknown group.
"""


class struct_group(tuple):
    """grp.struct_group: (gr_name, gr_passwd, gr_gid, gr_mem)."""

    __slots__ = ()
    n_fields = n_sequence_fields = 4

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != 4:
            raise TypeError("grp.struct_group() takes a 4-sequence (%d-sequence given)" % len(seq))
        return tuple.__new__(cls, seq)

    gr_name = property(lambda self: self[0])
    gr_passwd = property(lambda self: self[1])
    gr_gid = property(lambda self: self[2])
    gr_mem = property(lambda self: self[3])

    def __repr__(self):
        return "grp.struct_group(gr_name=%r, gr_passwd=%r, gr_gid=%r, gr_mem=%r)" % self


def _entry():
    import cordon
    from cordon import _world
    world = _world.parse(cordon._bridge.world()) if cordon._bridge is not None else None
    if world is None:
        return None
    return struct_group((world["group"], "x", world["gid"], [world["user"]]))


def getgrgid(id):
    e = _entry()
    if e is None or id != e.gr_gid:
        raise KeyError("getgrgid(): gid not found: %s" % (id,))
    return e


def getgrnam(name):
    e = _entry()
    if e is None or name != e.gr_name:
        raise KeyError("getgrnam(): name not found: %r" % (name,))
    return e


def getgrall():
    e = _entry()
    return [] if e is None else [e]
