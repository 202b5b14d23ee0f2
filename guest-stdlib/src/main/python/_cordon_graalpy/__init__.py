"""The GraalPy backend's private modules: the boot, the operation guard and its text writer, and
the prelude that loads them from code the engine shares between contexts. Not part of the guest's API."""
