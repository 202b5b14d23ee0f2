# The first source a GraalPy context evaluates: the hooks that let the boot's modules come from code
# the engine shares between contexts (evaluated by the host, not imported by the guest).
#
# GraalPy shares code between the contexts of an engine only for the sources the host evaluates; an
# import compiles a module anew in each context, and the JIT then compiles each context's copy of its
# hot functions long after that context has closed. So the host evaluates each shared module's source
# itself, as __main__, with a call of __cordon_code__(__name__) put on its first line (so that line
# numbers stay the file's): the hook keeps the module's code object and stops it before anything else
# runs. __cordon_load_shared__, called by the start, then runs each code object as its module (a module
# object of its own, registered in sys.modules under the name its file gives) and removes both hooks.


def __cordon_prelude__():
    import builtins

    class HandedOver(BaseException):
        pass

    codes = []

    def hand_over(name):
        if name == '__main__':
            import sys
            codes.append(sys._getframe(1).f_code)
            raise HandedOver()

    def load_shared(library):
        import sys
        del builtins.__cordon_load_shared__
        for code in codes:
            filename = code.co_filename
            if filename.startswith(library + '/'):
                relative = filename[len(library) + 1:]
            else:
                relative = filename.rpartition('/')[2]
            is_package = relative.endswith('/__init__.py')
            name = (relative[:-len('/__init__.py')] if is_package else relative[:-len('.py')]).replace('/', '.')
            package, _, leaf = name.rpartition('.')
            module = type(sys)(name)
            module.__file__ = filename
            module.__package__ = package
            module.__spec__ = type(sys.__spec__)(name, None, origin=filename, is_package=is_package)
            module.__spec__.has_location = True
            if is_package:
                module.__path__ = [filename.rpartition('/')[0]]
                module.__package__ = name
                module.__spec__.submodule_search_locations = list(module.__path__)
            sys.modules[name] = module
            if package:
                setattr(sys.modules[package], leaf, module)
            exec(code, module.__dict__)
        del builtins.__cordon_code__

    builtins.__cordon_code__ = hand_over
    builtins.__cordon_load_shared__ = load_shared


__cordon_prelude__()
del __cordon_prelude__
