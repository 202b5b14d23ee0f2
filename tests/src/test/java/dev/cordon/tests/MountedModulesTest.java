package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Access;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A module imported from a mount is compiled by the operation guard; it must mean what it means on CPython. A
 * class compiled from the guard's syntax tree used to carry GraalPy's {@code __classdictcell__} in its
 * namespace, which {@code typing.Protocol} takes for a data member; so was every class of a module with an
 * except clause whose body begins with a compound statement, until the clause's check moved to its header.
 */
class MountedModulesTest {

    @TempDir
    static Path dataDir;
    @TempDir
    static Path lib;
    static Cordon cordon;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(lib.resolve("shapes.py"), """
                import enum
                from typing import Protocol, runtime_checkable

                @runtime_checkable
                class HasArea(Protocol):
                    def area(self) -> float: ...

                class Square:
                    def __init__(self, side):
                        self.side = side

                    def area(self):
                        try:
                            return self.side * self.side
                        except TypeError:
                            if self.side is None:
                                return 0.0
                            raise

                class Colour(enum.Enum):
                    RED = 1

                    def describe(self):
                        return '%s=%d' % (self.name, self.value)
                """);
        Files.writeString(lib.resolve("latin1.py"), "# -*- coding: latin-1 -*-\nclass K:\n    def f(self):\n        return 'caf\u00e9' * 2\n",
                java.nio.charset.StandardCharsets.ISO_8859_1);
        cordon = Cordon.builder().dataDir(dataDir).mount("/lib", lib, Access.READ_ONLY)
                .defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    @Test
    void classesInAMountedModuleHaveTheNamespaceTheirSourceGives() {
        ExecutionResult r = SharedCordon.run(cordon, "alice", """
                import sys
                sys.path.insert(0, '/lib')
                import shapes, latin1
                print(sorted(k for k in vars(shapes.Square) if not k.startswith('__') or k == '__classdictcell__'))
                print(issubclass(shapes.Square, shapes.HasArea), isinstance(shapes.Square(3), shapes.HasArea))
                print(shapes.Square(3).area(), shapes.Colour.RED.describe())
                print('__classdictcell__' in vars(latin1.K), latin1.K().f())
                """, "fs.read:/lib");
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                ['area']
                True True
                9 RED=1
                False cafécafé
                """);
    }
}
