package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.capabilities.Access;
import dev.cordon.capabilities.Quota;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The semantics of MIT 6.858 lab 3, exercise 3 and its challenges, through the API and the real GraalPy:
 * a private persistent /tmp per principal, nothing writable outside it, and path tricks that lead nowhere.
 */
class TmpFileSystemTest {

    @TempDir
    static Path dataDir;
    @TempDir
    static Path mounted;
    @TempDir
    static Path hostSecrets;

    static Cordon cordon;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(hostSecrets.resolve("secret.txt"), "host secret");
        Files.writeString(mounted.resolve("readme.txt"), "shared data");
        Files.createSymbolicLink(mounted.resolve("escape"), hostSecrets.resolve("secret.txt"));
        Files.createSymbolicLink(mounted.resolve("escape-dir"), hostSecrets);
        cordon = StateStores.on(Cordon.builder(), dataDir).mount("/data", mounted, Access.READ_ONLY)
                .tmpQuota(new Quota(2_000_000, 500)).defaultLimits(SharedCordon.LIMITS).build();
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    private static ExecutionResult run(String principal, String code, String... grants) {
        return SharedCordon.run(cordon, principal, code, grants);
    }

    /** One case of the attack table: code run for its effect, and the outcome it must have. */
    record Case(String name, String code, String expected) {
    }

    private static Case c(String name, String code, String expected) {
        return new Case(name, code, expected);
    }

    /**
     * Run in order in one call, each in its own try: "ok" or "ok:" + repr of {@code _} when the code sets it,
     * or the exception's type and errno name.
     */
    static List<Case> attacks() {
        String longPath = "'/tmp/' + '/'.join(['d' * 200] * 30)";
        return List.of(
                c("setup", "os.makedirs('/tmp/home/sub'); put('/tmp/home/f', 'data')", "ok"),
                c("read through /tmp/..", "open('/tmp/../etc/passwd')", "FileNotFoundError:ENOENT"),
                c("read through /tmp/../..", "open('/tmp/../../../../etc/passwd')", "FileNotFoundError:ENOENT"),
                c("write through /tmp/..", "open('/tmp/../evil', 'w')", "PermissionError:EACCES"),
                c("write through /tmp/../..", "open('/tmp/../../tmp/../../evil', 'w')", "PermissionError:EACCES"),
                c("write through /tmp/../tmp stays in /tmp", "open('/tmp/../tmp/ok', 'w').close(); _ = os.path.exists('/tmp/ok')", "ok:True"),
                c("double slashes", "_ = open('//tmp//home//f').read()", "ok:'data'"),
                c("dot segments", "_ = open('/tmp/./home/./f').read()", "ok:'data'"),
                c("trailing slash on a directory", "_ = sorted(os.listdir('/tmp/home/'))", "ok:['f', 'sub']"),
                c("trailing slash on a file is ignored (lexical paths)", "_ = os.stat('/tmp/home/f/').st_size", "ok:4"),
                c("NUL byte in a name", "open('/tmp/a\\0b', 'w')", "ValueError"),
                c("NUL byte through os.open", "os.open('/tmp/../a\\0/etc/passwd', os.O_RDONLY)", "ValueError"),
                c("name longer than 255 bytes", "open('/tmp/' + 'n' * 300, 'w')", "OSError:ENAMETOOLONG"),
                c("path longer than PATH_MAX", "os.makedirs(" + longPath + ")", "OSError:ENAMETOOLONG"),
                c("non-ASCII names are kept exactly", "put('/tmp/caf\\u00e9', 'nfc'); _ = os.path.exists('/tmp/cafe\\u0301')", "ok:False"),
                c("NFC and NFD names are two files", "put('/tmp/cafe\\u0301', 'nfd'); _ = (open('/tmp/caf\\u00e9').read(), open('/tmp/cafe\\u0301').read())", "ok:('nfc', 'nfd')"),
                c("case variants are two files", "put('/tmp/Case', 'upper'); _ = os.path.exists('/tmp/case')", "ok:False"),
                c("unicode lookalikes of .. are plain names", "open('/tmp/\\u2025', 'w').close(); _ = os.path.exists('/tmp/\\u2025')", "ok:True"),
                c("backslashes are plain names", "open('/tmp/..\\\\..\\\\etc', 'w').close(); _ = '..\\\\..\\\\etc' in os.listdir('/tmp')", "ok:True"),
                c("symlink loop", "os.symlink('loop2', '/tmp/loop1'); os.symlink('loop1', '/tmp/loop2'); open('/tmp/loop1')", "OSError:ELOOP"),
                c("self loop", "os.symlink('self', '/tmp/self'); os.stat('/tmp/self')", "OSError:ELOOP"),
                c("symlink to a host file", "os.symlink('/etc/passwd', '/tmp/passwd')", "PermissionError:EPERM"),
                c("symlink to the host root", "os.symlink('/', '/tmp/root')", "PermissionError:EPERM"),
                c("relative symlink climbing out", "os.symlink('../../../etc/passwd', '/tmp/home/up')", "PermissionError:EPERM"),
                c("symlink to a read-only mount", "os.symlink('/data/readme.txt', '/tmp/data')", "PermissionError:EPERM"),
                c("symlink inside /tmp", "os.symlink('home/f', '/tmp/fl'); _ = open('/tmp/fl').read()", "ok:'data'"),
                c("readlink gives the resolved target", "_ = os.readlink('/tmp/fl')", "ok:'/tmp/home/f'"),
                c("symlink then .. is lexical", "os.symlink('/tmp/home/sub', '/tmp/hs'); open('/tmp/hs/../../../etc/passwd')", "FileNotFoundError:ENOENT"),
                c("writing through a dangling link creates its target", "os.symlink('made', '/tmp/dl'); put('/tmp/dl', 'x'); _ = open('/tmp/made').read()", "ok:'x'"),
                c("a moved relative link dangles rather than escape", "os.symlink('../f', '/tmp/home/sub/rel'); os.rename('/tmp/home/sub/rel', '/tmp/rel'); open('/tmp/rel')", "FileNotFoundError:ENOENT"),
                c("hard link", "os.link('/tmp/home/f', '/tmp/hard')", "PermissionError:EACCES"),
                c("hard link to a host file", "os.link('/etc/passwd', '/tmp/hard')", "PermissionError:EACCES"),
                c("rename out of /tmp", "os.rename('/tmp/home/f', '/tmp/../f')", "PermissionError:EACCES"),
                c("replace out of /tmp", "os.replace('/tmp/home/f', '/usr/f')", "PermissionError:EACCES"),
                c("rename into a mount", "os.rename('/tmp/home/f', '/data/f')", "PermissionError:EACCES"),
                c("rename out of a mount", "os.rename('/data/readme.txt', '/tmp/stolen')", "PermissionError:EACCES"),
                c("rename /tmp itself", "os.rename('/tmp', '/tmp2')", "PermissionError:EACCES"),
                c("rename a directory into itself", "os.rename('/tmp/home', '/tmp/home/sub/x')", "OSError:EINVAL"),
                c("rmdir /tmp", "os.rmdir('/tmp')", "PermissionError:EACCES"),
                c("mkdir outside", "os.mkdir('/evil')", "PermissionError:EACCES"),
                c("mkdir through /tmp/..", "os.mkdir('/tmp/../evil')", "PermissionError:EACCES"),
                c("mkdir in the stdlib", "os.mkdir(os.path.dirname(os.__file__) + '/evil')", "PermissionError:EACCES"),
                c("rmdir outside", "os.rmdir('/usr/lib')", "PermissionError:EACCES"),
                c("unlink outside", "os.unlink(os.__file__)", "PermissionError:EACCES"),
                c("unlink in the guest stdlib", "import cordon; os.unlink(cordon.__file__)", "PermissionError:EACCES"),
                c("chmod outside", "os.chmod('/usr/lib', 0o777)", "PermissionError:EACCES"),
                c("utime outside", "os.utime(os.__file__, (0, 0))", "PermissionError:EACCES"),
                c("write a read-only mount", "open('/data/readme.txt', 'a')", "PermissionError:EACCES"),
                c("create in a read-only mount", "open('/data/new', 'w')", "PermissionError:EACCES"),
                c("mount host link leading out", "open('/data/escape')", "FileNotFoundError:ENOENT"),
                c("mount host link to a directory out", "os.listdir('/data/escape-dir')", "FileNotFoundError:ENOENT"),
                c("chdir and relative paths", "os.chdir('/tmp/home'); _ = (os.getcwd(), open('f').read())", "ok:('/tmp/home', 'data')"),
                c("relative climb from /tmp/home", "open('../../etc/passwd')", "FileNotFoundError:ENOENT"),
                c("relative write climb from /tmp/home", "open('../../../evil', 'w')", "PermissionError:EACCES"),
                c("chdir out and back", "os.chdir('/'); _ = os.path.exists('tmp/home/f')", "ok:True"),
                c("/proc", "open('/proc/self/environ')", "FileNotFoundError:ENOENT"),
                c("/proc/self/root", "os.listdir('/proc/self/root')", "FileNotFoundError:ENOENT"),
                c("/dev/null works", "_ = put('/dev/null', 'gone')", "ok:4"),
                c("no other devices", "open('/dev/sda', 'rb')", "FileNotFoundError:ENOENT"),
                c("no device nodes can be made", "os.mkdir('/dev/shm')", "PermissionError:EACCES"),
                c("reuse of a closed descriptor", "fd = os.open('/tmp/home/f', os.O_RDONLY); os.close(fd); os.read(fd, 1)", "OSError:EBADF"),
                c("guessed descriptors", "os.read(99, 1)", "OSError:EBADF"),
                c("exclusive create of an existing file", "os.open('/tmp/home/f', os.O_CREAT | os.O_EXCL | os.O_WRONLY)", "FileExistsError:EEXIST"),
                c("open a directory for writing", "open('/tmp/home', 'w')", "IsADirectoryError:EISDIR"),
                c("rmdir a non-empty directory", "os.rmdir('/tmp/home')", "OSError:ENOTEMPTY"),
                c("remove a directory with unlink", "os.unlink('/tmp/home/sub')", "IsADirectoryError:EISDIR"),
                c("rmdir a file", "os.rmdir('/tmp/home/f')", "NotADirectoryError:ENOTDIR"),
                c("the host data dir by its host path", "open(" + pyString(dataDir.toString()) + " + '/principals')", "FileNotFoundError:ENOENT"),
                c("/tmp lists only the principal's files", "_ = 'principal' in os.listdir('/tmp') or 'tmp' in os.listdir('/tmp')", "ok:False"));
    }

    static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static final String HARNESS = """
            import cordon, errno, os

            def put(path, text):
                with open(path, 'w') as f:
                    return f.write(text)

            results = []
            for name, code in cordon.params['cases']:
                scope = {'os': os, 'put': put}
                try:
                    exec(code, scope)
                    outcome = 'ok' if '_' not in scope else 'ok:' + repr(scope['_'])
                except OSError as e:
                    outcome = type(e).__name__ + ':' + errno.errorcode.get(e.errno, str(e.errno))
                except Exception as e:
                    outcome = type(e).__name__
                results.append(outcome)
            cordon.result(results)
            """;

    @TestFactory
    Stream<DynamicTest> pathAttacksEndAsARealOsWouldHaveThemEnd() throws Exception {
        List<Case> cases = attacks();
        List<List<String>> params = new ArrayList<>();
        for (Case k : cases) {
            params.add(List.of(k.name(), k.code()));
        }
        ExecutionResult r = cordon.run(Execution.builder().principal("attacker").grant("fs.tmp")
                .grant("fs.read:/data").code(HARNESS).param("cases", params).build());
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        List<?> outcomes = (List<?>) r.value();
        assertThat(Files.readString(hostSecrets.resolve("secret.txt"))).isEqualTo("host secret");
        return cases.stream().map(k -> DynamicTest.dynamicTest(k.name(), () ->
                assertThat(String.valueOf(outcomes.get(cases.indexOf(k)))).as(k.code()).isEqualTo(k.expected())));
    }

    @Test
    void aSeekBeforeTheStartOrANegativeTruncateIsEinvalAndTheFileStillWorks() {
        // zipfile looks for its end record with seek(-22, 2): on an empty file that is before the start. In worker
        // processes the position crossed to the parent, which took it for a broken worker: INTERNAL, the worker
        // killed, and test_zipfile's OtherTests lost.
        ExecutionResult r = run("seek", """
                import errno, zipfile
                open('/tmp/empty', 'wb').close()
                with open('/tmp/empty', 'r+b') as f:
                    for act in (lambda: f.seek(-22, 2), lambda: f.seek(-1), lambda: f.truncate(-1)):
                        try:
                            act()
                        except OSError as e:
                            print(errno.errorcode[e.errno])
                    f.write(b'abc')
                    f.seek(-2, 2)
                    print(f.read())
                try:
                    zipfile.ZipFile('/tmp/empty')
                except zipfile.BadZipFile as e:
                    print('BadZipFile')
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("EINVAL\nEINVAL\nEINVAL\nb'bc'\nBadZipFile\n");
    }

    @Test
    void diskUsageReportsTheQuotaOfTmpAndAFullStoreElsewhere() {
        // shutil.disk_usage and os.statvfs answer from the principal's quota (2,000,000 bytes here, 488 blocks of
        // 4096), never from the host's disk; a read-only place is a full store, as a read-only medium reports.
        ExecutionResult r = run("space", """
                import os, shutil
                before = shutil.disk_usage('/tmp')
                print(before)
                with open('/tmp/space', 'wb') as f:
                    f.write(b'x' * 100000)
                after = shutil.disk_usage('/tmp/space')
                print(100000 <= after.used - before.used < 100000 + 4096, after.total == before.total)
                s = os.statvfs('/tmp')
                print(s.f_frsize, s.f_blocks, s.f_bavail == after.free // 4096)
                print(shutil.disk_usage('/'), shutil.disk_usage('/data/readme.txt') == shutil.disk_usage('/'))
                os.remove('/tmp/space')
                print(shutil.disk_usage('/tmp') == before)
                try:
                    shutil.disk_usage('/tmp/missing')
                except FileNotFoundError:
                    print('FileNotFoundError')
                """, "fs.tmp", "fs.read:/data");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                usage(total=1998848, used=0, free=1998848)
                True True
                4096 488 True
                usage(total=4096, used=4096, free=0) True
                True
                FileNotFoundError
                """);
    }

    @Test
    void anExclusiveCreateOfWhatExistsIsFileExistsErrorEvenForADirectory() {
        // As on Linux (and as tempfile.mkstemp relies on to retry another name): EEXIST comes before EISDIR.
        ExecutionResult r = run("excl", """
                import os
                os.makedirs('/tmp/excl/d', exist_ok=True)
                open('/tmp/excl/f', 'w').close()
                for p in ['/tmp/excl/d', '/tmp/excl/f']:
                    try:
                        os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
                    except OSError as e:
                        print(type(e).__name__)
                import tempfile
                fd, name = tempfile.mkstemp(dir='/tmp/excl')
                os.close(fd)
                print(os.path.isfile(name))
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("FileExistsError\nFileExistsError\nTrue\n");
    }

    @Test
    void aNewFileOrDirectoryGetsTheModeAskedForLessTheUmaskAndKeepsIt() {
        // As on Linux: tempfile's files are 0o600 and its directories 0o700; umask returns the mask it replaces.
        ExecutionResult r = run("modes", """
                import os, shutil, tempfile
                shutil.rmtree('/tmp/modes', ignore_errors=True)
                os.mkdir('/tmp/modes')
                def mode(p):
                    return oct(os.stat(p).st_mode & 0o7777)
                os.close(os.open('/tmp/modes/secret', os.O_CREAT | os.O_WRONLY, 0o600))
                os.close(os.open('/tmp/modes/secret', os.O_CREAT | os.O_WRONLY, 0o666))   # not created: kept
                fd, name = tempfile.mkstemp(dir='/tmp/modes'); os.close(fd)
                os.mkdir('/tmp/modes/private', 0o700)
                print(mode('/tmp/modes'), mode('/tmp/modes/secret'), mode(name), mode('/tmp/modes/private'),
                      mode(tempfile.mkdtemp(dir='/tmp/modes')))
                print(oct(os.umask(0o077)), oct(os.umask(0o077)))
                os.close(os.open('/tmp/modes/masked', os.O_CREAT | os.O_WRONLY, 0o666))
                os.mkdir('/tmp/modes/masked-dir')
                print(mode('/tmp/modes/masked'), mode('/tmp/modes/masked-dir'))
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("0o755 0o600 0o600 0o700 0o700\n0o22 0o77\n0o600 0o700\n");
        ExecutionResult next = run("modes", """
                import os
                print(oct(os.umask(0o022)), oct(os.stat('/tmp/modes/secret').st_mode & 0o777))
                """, "fs.tmp");
        assertThat(next.stdout()).as("a new run has the usual umask; the file keeps its mode").isEqualTo("0o22 0o600\n");
    }

    @Test
    void eachUserHasAPrivateTmpEvenWithLookalikeNames() {
        String write = "import cordon\nwith open('/tmp/profile', 'w') as f: f.write(cordon.params['me'])";
        String read = "import os\nprint(sorted(os.listdir('/tmp')), open('/tmp/profile').read() if os.path.exists('/tmp/profile') else None)";
        for (String user : List.of("test1", "test1/.", "../test1", "TEST1", "")) {
            ExecutionResult w = cordon.run(Execution.builder().principal(user).grant("fs.tmp").code(write)
                    .param("me", user).build());
            assertThat(w.status()).as(w.toString()).isEqualTo(Status.OK);
        }
        for (String user : List.of("test1", "test1/.", "../test1", "TEST1", "")) {
            ExecutionResult r = run(user, read, "fs.tmp");
            assertThat(r.stdout()).isEqualTo("['profile'] " + user + "\n");
        }
        assertThat(run("test2", read, "fs.tmp").stdout()).isEqualTo("[] None\n");
    }

    @Test
    void filesLeftOpenAreSavedAsCPythonWouldSaveThem() {
        ExecutionResult w = run("careless", """
                open('/tmp/one-liner', 'w').write('kept')
                f = open('/tmp/still-open', 'wb')
                f.write(b'x' * 100)
                import pathlib
                pathlib.Path('/tmp/by-pathlib').open('a').write('too')
                raise ValueError('and the code failed after writing')
                """, "fs.tmp");
        assertThat(w.status()).isEqualTo(Status.ERROR);
        ExecutionResult r = run("careless", """
                import os
                print(open('/tmp/one-liner').read(), os.path.getsize('/tmp/still-open'), open('/tmp/by-pathlib').read())
                """, "fs.tmp");
        assertThat(r.stdout()).isEqualTo("kept 100 too\n");
    }

    @Test
    void whatAUserWritesIsThereInALaterCordonOnTheSameDataDir(@TempDir Path data) {
        String visit = """
                import os
                n = int(open('/tmp/visits').read()) if os.path.exists('/tmp/visits') else 0
                with open('/tmp/visits', 'w') as f:
                    f.write(str(n + 1))
                print(n + 1)
                """;
        try (Cordon first = StateStores.on(Cordon.builder(), data).defaultLimits(SharedCordon.LIMITS).build()) {
            assertThat(first.run(Execution.builder().principal("alice").grant("fs.tmp").code(visit).build()).stdout())
                    .isEqualTo("1\n");
            assertThat(first.run(Execution.builder().principal("alice").grant("fs.tmp").code(visit).build()).stdout())
                    .isEqualTo("2\n");
        }
        try (Cordon second = StateStores.on(Cordon.builder(), data).defaultLimits(SharedCordon.LIMITS).build()) {
            assertThat(second.run(Execution.builder().principal("alice").grant("fs.tmp").code(visit).build()).stdout())
                    .isEqualTo("3\n");
            assertThat(second.run(Execution.builder().principal("bob").grant("fs.tmp").code(visit).build()).stdout())
                    .isEqualTo("1\n");
        }
    }

    @Test
    void goingOverTheQuotaIsEdquotAndLeavesNoHalfWrittenFile() {
        ExecutionResult r = run("hoarder", """
                import errno, os
                try:
                    with open('/tmp/hoard', 'wb') as f:
                        for _ in range(100):
                            f.write(b'x' * 100_000)
                except OSError as e:
                    print(errno.errorcode[e.errno], os.path.exists('/tmp/hoard'))
                n = 0
                try:
                    while True:
                        os.mkdir('/tmp/d%d' % n)
                        n += 1
                except OSError as e:
                    print(errno.errorcode[e.errno], n)
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("EDQUOT False\nEDQUOT 500\n");
        assertThat(run("hoarder", "print('still fine')", "fs.tmp").stdout()).isEqualTo("still fine\n");
    }

    @Test
    void aFileNamedAsGraalPyNamesFrozenCodeIsReachedOnlyByItsAbsolutePath() {
        // GraalPy looks for "<frozen os>" in the working directory when it loads that module's code: a file a
        // guest leaves there must not become that code's text.
        ExecutionResult r = run("planter", """
                import os
                print(os.getcwd())
                with open('/tmp/<frozen posixpath>', 'w') as f:
                    f.write('planted = 1\\n')
                print(os.listdir('/tmp'), os.path.exists('<frozen posixpath>'))
                print(open('/tmp/<frozen posixpath>').read().strip())
                os.remove('/tmp/<frozen posixpath>')
                """, "fs.tmp");
        assertThat(r.stdout()).as(r.toString())
                .isEqualTo("/tmp\n['<frozen posixpath>'] False\nplanted = 1\n");
    }

    @Test
    void aFileOpenedToWriteIsEmptiedEvenWithoutAWriteAndARewriteNearTheQuotaFits() {
        // The quota is 2,000,000 bytes: a rewrite of a 1.5 MB file counts from the length it had, not on top of it.
        String big = "with open('/tmp/big', 'w') as f:\n    f.write('%s' * 1_500_000)\n";
        assertThat(run("rewriter", big.formatted("a"), "fs.tmp").status()).isEqualTo(Status.OK);
        ExecutionResult rewritten = run("rewriter", big.formatted("b") + """
                import os
                print(os.path.getsize('/tmp/big'), open('/tmp/big').read(3))
                open('/tmp/big', 'w').close()
                """, "fs.tmp");
        assertThat(rewritten.stdout()).as(rewritten.toString()).isEqualTo("1500000 bbb\n");
        ExecutionResult emptied = run("rewriter", """
                import os
                print(os.path.getsize('/tmp/big'), repr(open('/tmp/big').read()))
                with open('/tmp/other', 'wb') as f:
                    f.write(b'c' * 1_900_000)
                print(os.path.getsize('/tmp/other'))
                os.remove('/tmp/big')
                os.remove('/tmp/other')
                """, "fs.tmp");
        assertThat(emptied.stdout()).as(emptied.toString()).isEqualTo("0 ''\n1900000\n");
    }

    @Test
    void withoutTheGrantThereIsNoTmpAndWithoutTheMountGrantNoData() {
        run("nogrant", "open('/tmp/x', 'w').write('x')", "fs.tmp");
        ExecutionResult r = run("nogrant", """
                import os
                print(os.path.exists('/tmp'), os.path.exists('/data'), sorted(os.listdir('/')))
                """);
        assertThat(r.stdout()).isEqualTo("False False ['dev', 'usr']\n");
    }

    @Test
    void theStandardLibraryWorksInsideTmp() {
        ExecutionResult r = run("stdlib", """
                import os, shutil, tempfile, pathlib
                os.makedirs('/tmp/w/a/b', exist_ok=True)
                pathlib.Path('/tmp/w/a/b/f.txt').write_text('hello')
                with open('/tmp/w/a/b/f.txt', 'a') as f:
                    f.write(' world')
                with open('/tmp/w/a/b/f.txt', 'r+') as f:
                    f.seek(6); f.write('W'); f.seek(0); print(f.read())
                    f.truncate(5)
                st = os.stat('/tmp/w/a/b/f.txt'); print(st.st_size, oct(st.st_mode))
                os.chmod('/tmp/w/a/b/f.txt', 0o600); print(oct(os.lstat('/tmp/w/a/b/f.txt').st_mode & 0o777))
                os.utime('/tmp/w/a/b/f.txt', (1_000_000, 2_000_000)); print(int(os.stat('/tmp/w/a/b/f.txt').st_mtime))
                with open('/tmp/w/a/b/f.txt') as f:
                    print(os.fstat(f.fileno()).st_size)
                shutil.copy('/tmp/w/a/b/f.txt', '/tmp/w/copy.txt')
                shutil.copytree('/tmp/w/a', '/tmp/w/a2')
                shutil.move('/tmp/w/a2', '/tmp/w/a3')
                print(sorted((d, sorted(fs)) for d, _, fs in os.walk('/tmp/w')))
                print(sorted(e.name for e in os.scandir('/tmp/w')))
                fd, name = tempfile.mkstemp(dir='/tmp'); os.write(fd, b'tmp'); os.close(fd)
                print(name.startswith('/tmp/'), open(name).read())
                with tempfile.TemporaryDirectory(dir='/tmp') as d:
                    open(os.path.join(d, 'x'), 'w').close(); print(os.listdir(d))
                os.rename('/tmp/w/copy.txt', '/tmp/w/renamed.txt'); os.replace('/tmp/w/renamed.txt', '/tmp/w/a3/b/f.txt')
                shutil.rmtree('/tmp/w'); os.unlink(name); print(os.listdir('/tmp'))
                """, "fs.tmp");
        assertThat(r.status()).as(r.toString()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                hello World
                5 0o100644
                0o600
                2000000
                5
                [('/tmp/w', ['copy.txt']), ('/tmp/w/a', []), ('/tmp/w/a/b', ['f.txt']), ('/tmp/w/a3', []), ('/tmp/w/a3/b', ['f.txt'])]
                ['a', 'a3', 'copy.txt']
                True tmp
                ['x']
                []
                """);
    }

    @Test
    void concurrentRunsOfOneUserShareTmpWithoutCorruptingIt() {
        String append = """
                import cordon, os
                for i in range(200):
                    with open('/tmp/log', 'a') as f:
                        f.write('run %d line %d\\n' % (cordon.params['run'], i))
                    with open('/tmp/own%d' % cordon.params['run'], 'a') as f:
                        f.write('x')
                """;
        List<CompletableFuture<ExecutionResult>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Execution e = Execution.builder().principal("busy").grant("fs.tmp").code(append).param("run", i).build();
            runs.add(CompletableFuture.supplyAsync(() -> cordon.run(e)));
        }
        runs.forEach(f -> assertThat(f.join().status()).as(f.join().toString()).isEqualTo(Status.OK));
        ExecutionResult check = run("busy", """
                import os
                lines = open('/tmp/log').read().splitlines()
                print(len(lines), all(l.startswith('run ') for l in lines), sorted(os.path.getsize('/tmp/own%d' % i) for i in range(4)))
                """, "fs.tmp");
        assertThat(check.stdout()).isEqualTo("800 True [200, 200, 200, 200]\n");
    }
}
