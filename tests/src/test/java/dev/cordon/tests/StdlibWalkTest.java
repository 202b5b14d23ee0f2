package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every module of the standard library, imported in one fresh context in a loop that catches everything:
 * each imports, or raises an ImportError (ModuleNotFoundError included); never a SystemError, never a
 * message that names an engine option, and the interpreter is still there at the end.
 */
class StdlibWalkTest {

    @Test
    void everyStandardModuleImportsOrIsRefusedAsAbsent() {
        ExecutionResult r = SharedCordon.get().run(Execution.builder().grant().code("""
                import sys, io
                out = []
                for name in sorted(sys.stdlib_module_names):
                    if name in ('this', 'antigravity'):
                        continue  # they print, or open a browser, when imported
                    saved = sys.stdout
                    sys.stdout = io.StringIO()
                    try:
                        __import__(name)
                        out.append('%s ok' % name)
                    except ImportError as e:
                        out.append('%s ImportError %s' % (name, str(e).replace('\\n', ' ')))
                    except BaseException as e:
                        out.append('%s BAD %s %s' % (name, type(e).__name__, str(e).replace('\\n', ' ')))
                    finally:
                        sys.stdout = saved
                print('\\n'.join(out))
                print('alive', len(out))
                """).limits(Limits.builder().wallTime(Duration.ofMinutes(3)).build()).build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        List<String> lines = List.of(r.stdout().strip().split("\n"));
        assertThat(lines.get(lines.size() - 1)).startsWith("alive ");
        List<String> bad = new ArrayList<>();
        for (String line : lines) {
            if (line.contains(" BAD ") || line.contains("IsolateNativeModules") || line.contains("python.")) {
                bad.add(line);
            }
        }
        assertThat(bad).as("modules that neither import nor refuse cleanly").isEmpty();
        assertThat(lines).filteredOn(l -> l.endsWith(" ok")).hasSizeGreaterThan(150);
        // The native modules say why they are refused.
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("termios ImportError").contains("native code"));
        assertThat(lines).as("Cordon's own, on the JDK's parser").contains("pyexpat ok");
        assertThat(lines).as("Cordon's own, on SQLite in the host engine").contains("_sqlite3 ok", "sqlite3 ok");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("crypt ImportError").contains("sandbox"));
    }
}
