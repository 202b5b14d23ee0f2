# The last source the host evaluates in a fresh GraalPy context, after the prelude and the shared modules:
# it runs the shared modules' code, then the boot, whose handles are this one expression's value (what the
# host's eval returns). One expression, so that it leaves no name behind in __main__.
(lambda: (__import__('sys').path.append('/usr/lib/cordon'), __cordon_load_shared__('/usr/lib/cordon'), __import__('_cordon_graalpy.boot', fromlist=['install']).install(globals().pop('__cordon_bridge__')))[2])()
