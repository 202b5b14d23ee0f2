# Evaluated by the host once per engine, in a context with no filesystem at all: where GraalPy extracted its
# language home and how the home is laid out (the guests then see that directory at /usr/lib/graalpy).
(__graalpython__.home, __graalpython__.core_home, __graalpython__.stdlib_home)
