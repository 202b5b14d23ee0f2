package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest's identity is complete and consistent, as CPython's programs expect of a Unix user: pwd and grp
 * answer for it, its environment names it, sys.argv is what CPython gives, and with fs.tmp its home and working
 * directory are its writable, persistent /tmp.
 */
class GuestIdentityTest {

    private static ExecutionResult run(Execution.Builder b) {
        return SharedCordon.get().run(b.principal("identity").build());
    }

    @Test
    void pwdGrpAndTheEnvironmentAnswerForTheVirtualUser() {
        ExecutionResult r = run(Execution.builder().code("""
                import os, pwd, grp, getpass, pathlib
                me = pwd.getpwuid(os.getuid())
                print(me.pw_name, me.pw_uid, me.pw_gid, me.pw_dir, me.pw_shell, pwd.getpwnam('sandbox') == me)
                print(grp.getgrgid(os.getgid()).gr_name, grp.getgrnam('sandbox').gr_mem, len(pwd.getpwall()))
                for bad in (lambda: pwd.getpwuid(0), lambda: pwd.getpwnam('root'), lambda: grp.getgrgid(0)):
                    try:
                        bad()
                    except KeyError as e:
                        print('KeyError')
                print(getpass.getuser(), os.path.expanduser('~'), pathlib.Path.home(), os.environ['USER'], os.environ['LANG'])
                import sysconfig, site, pydoc, trace, cgitb
                print('imported')
                """));
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                sandbox 1000 1000 /tmp /bin/sh True
                sandbox ['sandbox'] 1
                KeyError
                KeyError
                KeyError
                sandbox /tmp /tmp sandbox C.UTF-8
                imported
                """);
    }

    @Test
    void sysArgvIsWhatCPythonGivesOrWhatTheCallerSets() {
        String show = "import sys, argparse\nprint(sys.argv, argparse.ArgumentParser().prog)";
        assertThat(run(Execution.builder().code(show)).stdout()).isEqualTo("['-c'] -c\n");
        assertThat(run(Execution.builder().code(show, "report.py")).stdout()).isEqualTo("['report.py'] report.py\n");
        assertThat(run(Execution.builder().code(show, "<stdin>")).stdout()).isEqualTo("['-'] -\n");
        assertThat(run(Execution.builder().code(show).argv(List.of("tool", "--fast"))).stdout())
                .isEqualTo("['tool', '--fast'] tool\n");
    }

    @Test
    void withTmpGrantedRelativePathsLandInTheWritablePersistentHome() {
        ExecutionResult write = run(Execution.builder().grant("fs.tmp").code("""
                import os
                with open('results.csv', 'w') as f:
                    f.write('a,b\\n')
                print(os.getcwd(), os.path.exists('/tmp/results.csv'))
                """));
        assertThat(write.status()).as("%s", write.error()).isEqualTo(Status.OK);
        assertThat(write.stdout()).isEqualTo("/tmp True\n");
        ExecutionResult read = run(Execution.builder().grant("fs.tmp").code("print(open('results.csv').read().strip())"));
        assertThat(read.stdout()).isEqualTo("a,b\n");
    }

    @Test
    void whatTheGuestWritesIsItsOwnAndTheLibraryIsRoots() {
        // pathlib's owner() and group() ask pwd and grp for st_uid and st_gid: the guest's own files must name
        // the guest user, which pwd knows, not root, which it does not.
        ExecutionResult r = run(Execution.builder().grant("fs.tmp").code("""
                import os, pathlib
                os.mkdir('/tmp/owned-dir')
                p = pathlib.Path('/tmp/owned-dir/f.txt')
                p.write_text('mine')
                print(p.owner(), p.group(), os.stat(p).st_uid == os.getuid(), os.stat('/tmp').st_gid == os.getgid())
                print(os.lstat('/tmp/owned-dir').st_uid, os.stat(os.__file__).st_uid, os.stat('/dev/null').st_uid)
                p.unlink()
                os.rmdir('/tmp/owned-dir')
                """));
        assertThat(r.stdout()).as("%s", r.error()).isEqualTo("sandbox sandbox True True\n1000 0 0\n");
    }
}
