package dev.cordon.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServeConfigTest {

    static final Path BASE = Path.of("/srv/cordon");
    static final String CLIENT = "\"c\": {\"key\": \"0123456789abcdef\", \"principal\": \"p\"}";

    @Test
    void aSmallConfigurationGetsSaneDefaults() {
        ServeConfig c = ServeConfig.parse("{\"clients\": {" + CLIENT + "}}", BASE);
        assertThat(c.bind()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8765);
        assertThat(c.dataDir()).isEqualTo(BASE.resolve("var/serve"));
        assertThat(c.backends()).containsExactly("graalpy");
        assertThat(c.defaultBackend()).isEqualTo("graalpy");
        assertThat(c.maxRequestBytes()).isEqualTo(1L << 20);
        assertThat(c.preparedContexts()).isEqualTo(2);
        ServeConfig.Client client = c.clients().get("c");
        assertThat(client.keySha256()).isEqualTo(ServeConfig.sha256("0123456789abcdef")).hasSize(64);
        assertThat(client.grants()).isEmpty();
        assertThat(client.limits().wallTime()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void thePyPyBackendIsOfferedWithItsBinaryFromTheFilesDirectory() {
        ServeConfig c = ServeConfig.parse("{\"clients\": {" + CLIENT + "}, \"backends\": [\"graalpy\", \"pypy\"],"
                + " \"pypySandbox\": \"pypy/goal/pypy-c\"}", BASE);
        assertThat(c.backends()).containsExactly("graalpy", "pypy");
        assertThat(c.backend("pypy")).isEqualTo(dev.cordon.Backend.pypySandbox(BASE.resolve("pypy/goal/pypy-c")));
        assertThat(c.backend("graalpy")).isEqualTo(dev.cordon.Backend.graalPy());
    }

    @Test
    void pathsAreTakenFromTheFilesDirectoryAndLimitsParsed() {
        ServeConfig c = ServeConfig.parse("""
                {"dataDir": "state", "mounts": {"/data": "shared"}, "services": {"db": "jdbc:sqlite:x.db"},
                 "writable": ["db"],
                 "clients": {"c": {"key": "0123456789abcdef", "principal": "p",
                                   "grants": ["fs.read:/data", "gateway:db", "fs.tmp"],
                                   "limits": {"wallTime": "2s", "cpuTime": "1s", "memory": "64MB", "output": "1KB"}}}}
                """, BASE);
        assertThat(c.dataDir()).isEqualTo(BASE.resolve("state"));
        assertThat(c.mounts()).containsEntry("/data", BASE.resolve("shared"));
        ServeConfig.Client client = c.clients().get("c");
        assertThat(client.grants()).containsExactlyInAnyOrder("fs.read:/data", "gateway:db", "fs.tmp");
        assertThat(client.limits().wallTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(client.limits().cpuTime()).isEqualTo(Duration.ofSeconds(1));
        assertThat(client.limits().memoryBytes()).isEqualTo(64L << 20);
        assertThat(client.limits().outputBytes()).isEqualTo(1024);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"clients": {CLIENT}, "prot": 1}                                   | Unrecognized field "prot"
            {"clients": {CLIENT}, "port": 70000}                               | port 70000 is not a TCP port
            {"clients": {CLIENT}, "port": "x"}                                 | at $.port
            {"clients": {CLIENT}, "backends": ["pypy"]}                        | backend pypy needs pypySandbox
            {"clients": {CLIENT}, "backends": ["jython"]}                      | backend jython is not one this version has
            {"clients": {CLIENT}, "backends": []}                              | backends is empty
            {"clients": {CLIENT}, "defaultBackend": "cpython"}                 | defaultBackend cpython is not among
            {"clients": {CLIENT}, "writable": ["db"]}                          | writable db: no SQL service
            {"clients": {CLIENT}, "maxRequestBytes": "lots"}                   | maxRequestBytes
            {"clients": {CLIENT}, "maxConcurrentRuns": 0}                      | maxConcurrentRuns must be at least 1
            {"clients": {CLIENT}, "preparedContexts": -1}                      | preparedContexts at least 0
            {"clients": {}}                                                    | no clients
            {}                                                                 | no clients
            {"clients": {"c": {"key": "0123456789abcdef", "keySha256": "x", "principal": "p"}}}       | client c: give one of key, keySha256, keyEnv and keyFile, not several
            {"clients": {CLIENT}, "mcp": {"client": "d"}}                      | mcp: client d is not one of the clients [c]
            {"clients": {CLIENT}, "mcp": {"sessions": {"Bad-Name": {}}}}       | mcp: session name Bad-Name must be
            {"clients": {CLIENT}, "mcp": {"sessions": {"run_python": {}}}}     | mcp: run_python is the tool every configuration has
            {"clients": {CLIENT}, "mcp": {"tools": 1}}                         | Unrecognized field "tools"
            {"clients": {"c": {"key": "short", "principal": "p"}}}            | at least 16 characters
            {"clients": {"c": {"keySha256": "abc", "principal": "p"}}}         | 64 hexadecimal digits
            {"clients": {"c": {"key": "0123456789abcdef"}}}                    | client c: principal is missing
            {"clients": {"c": {"key": "0123456789abcdef", "principal": "p", "grants": ["fs.all"]}}}      | client c: unknown capability
            {"clients": {"c": {"key": "0123456789abcdef", "principal": "p", "grants": ["fs.read:/x"]}}}  | names no declared mount
            {"clients": {"c": {"key": "0123456789abcdef", "principal": "p", "grants": ["gateway:db"]}}}  | names no declared service
            {"clients": {"c": {"key": "0123456789abcdef", "principal": "p", "limits": {"wallTime": "0s"}}}} | client c: 
            {"clients": {"c": {"key": "0123456789abcdef", "principal": "p", "limits": {"disk": "1GB"}}}}   | Unrecognized field "disk"
            {"clients": {CLIENT, "d": {"key": "0123456789abcdef", "principal": "q"}}}                    | client d has the same key
            {"clients": {CLIENT}, "state": {}}                                 | state: name the store
            {"clients": {CLIENT}, "state": {"redis": {}}}                      | Unrecognized field "redis"
            {"clients": {CLIENT}, "state": {"postgres": {"url": "jdbc:mysql://h/d"}}}               | state.postgres: url must be a jdbc:postgresql: URL
            {"clients": {CLIENT}, "state": {"postgres": {"url": "jdbc:postgresql://h/d", "password": "pw"}}} | the password is never written in the configuration
            {"clients": {CLIENT}, "state": {"postgres": {"url": "jdbc:postgresql://h/d", "maxConnections": 0}}} | maxConnections must be at least 1
            [1]                                                                | at $
            {"clients":                                                        | not JSON
            """)
    void aBadConfigurationIsRefusedSayingWhatIsWrong(String json, String message) {
        assertThatThrownBy(() -> ServeConfig.parse(json.replace("CLIENT", CLIENT), BASE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void aKeyComesFromAnEnvironmentVariableOrAFileSuchAsAMountedSecret(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve("app-key"), "file-key-0123456789abcdef\n");
        ServeConfig c = ServeConfig.parse("""
                {"clients": {"a": {"keyEnv": "APP_KEY", "principal": "a"}, "b": {"keyFile": "app-key", "principal": "b"}}}
                """, dir, java.util.Map.of("APP_KEY", "env-key-0123456789abcdef"));
        assertThat(c.clients().get("a").keySha256()).isEqualTo(ServeConfig.sha256("env-key-0123456789abcdef"));
        assertThat(c.clients().get("b").keySha256()).isEqualTo(ServeConfig.sha256("file-key-0123456789abcdef"));
        assertThatThrownBy(() -> ServeConfig.parse("{\"clients\": {\"a\": {\"keyEnv\": \"NOPE\", \"principal\": \"a\"}}}",
                dir, java.util.Map.of())).hasMessageContaining("client a: keyEnv NOPE: no such environment variable");
        assertThatThrownBy(() -> ServeConfig.parse("{\"clients\": {\"a\": {\"keyFile\": \"missing\", \"principal\": \"a\"}}}",
                dir, java.util.Map.of())).hasMessageContaining("client a: keyFile missing cannot be read");
        assertThatThrownBy(() -> ServeConfig.parse("{\"clients\": {\"a\": {\"keyEnv\": \"K\", \"principal\": \"a\"}}}",
                dir, java.util.Map.of("K", "short"))).hasMessageContaining("at least 16 characters");
        assertThatThrownBy(() -> ServeConfig.parse("{\"clients\": {\"a\": {\"keyEnv\": \"K\", \"keyFile\": \"app-key\","
                + " \"principal\": \"a\"}}}", dir, java.util.Map.of("K", "env-key-0123456789abcdef")))
                .hasMessageContaining("not several");
    }

    @Test
    void theStateDatabasesPasswordComesFromAnEnvironmentVariableOrAFileAndIsNeverPrinted(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("db-password"), "from-a-file\n");
        String env = "{\"clients\": " + "{CLIENT}".replace("CLIENT", CLIENT) + ", \"state\": {\"postgres\": "
                + "{\"url\": \"jdbc:postgresql://db/cordon\", \"user\": \"cordon\", \"passwordEnv\": \"DB_PW\"}}}";
        ServeConfig c = ServeConfig.parse(env, dir, java.util.Map.of("DB_PW", "from-the-env"));
        assertThat(c.state()).isEqualTo(new ServeConfig.State("jdbc:postgresql://db/cordon", "cordon", "from-the-env", 16));
        assertThat(c.toString()).doesNotContain("from-the-env");
        ServeConfig f = ServeConfig.parse(env.replace("\"passwordEnv\": \"DB_PW\"", "\"passwordFile\": \"db-password\""),
                dir, java.util.Map.of());
        assertThat(f.state().password()).isEqualTo("from-a-file");
        assertThatThrownBy(() -> ServeConfig.parse(env, dir, java.util.Map.of()))
                .hasMessageContaining("state.postgres: passwordEnv DB_PW: no such environment variable");
        assertThat(ServeConfig.parse("{\"clients\": " + "{CLIENT}".replace("CLIENT", CLIENT) + "}", dir).state()).isNull();
    }

    @Test
    void aClientWithoutAKeyIsForCordonMcpAndTheMcpSectionNamesItsClientAndSessions() throws Exception {
        ServeConfig c = ServeConfig.parse("""
                {"clients": {CLIENT, "agent": {"principal": "a", "grants": ["fs.tmp"]}},
                 "mcp": {"client": "agent", "sessions": {"notebook": {}, "scratch": {"description": "Scratch"}}}}
                """.replace("CLIENT", CLIENT), BASE);
        assertThat(c.clients().get("agent").keySha256()).isNull();
        assertThat(c.mcp().client()).isEqualTo("agent");
        assertThat(c.mcp().sessions()).containsEntry("scratch", "Scratch").containsKey("notebook");
        assertThat(ServeConfig.parse("{\"clients\": {" + CLIENT + "}}", BASE).mcp())
                .isEqualTo(new ServeConfig.Mcp("c", java.util.Map.of()));
        // Over HTTP there is no anonymous client: serve refuses the configuration before it listens.
        assertThatThrownBy(() -> CodeServer.start(c.listeningOn("127.0.0.1", 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client agent has no key");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ServeConfig.load(Path.of("/nonexistent/cordon-serve.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read the configuration /nonexistent/cordon-serve.json");
    }
}
