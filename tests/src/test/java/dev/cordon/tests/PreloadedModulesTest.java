package dev.cordon.tests;

import dev.cordon.Cordon;
import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Status;
import dev.cordon.serve.ServeConfig;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Standard modules preloaded into contexts prepared ahead ({@code Cordon.Builder.preloadModules}): a call that
 * takes such a context finds them imported, each context has its own copy of their state, and a name that
 * cannot be loaded is left out without costing the calls anything. Runs in both isolation modes (each worker
 * preloads its own prepared context).
 */
class PreloadedModulesTest {

    @TempDir
    static Path dir;
    static Cordon cordon;

    /** Printed by a call: which of the names were imported before its own code ran, then its answer. */
    private static final String PRELOADED = "import sys\nprint(sorted(n for n in %s if n in sys.modules))\n";

    @BeforeAll
    static void start() throws Exception {
        cordon = Cordon.builder().dataDir(dir.resolve("data")).preparedContexts(2)
                .preloadModules("json", "random", "xml.etree.ElementTree", "no_such_module", "ctypes", "json")
                .defaultLimits(SharedCordon.LIMITS).build();
        assertThat(cordon.awaitStarted(Duration.ofMinutes(3))).isTrue();
    }

    @AfterAll
    static void stop() {
        cordon.close();
    }

    private static String runPrepared(String principal, String code) throws InterruptedException {
        return runPrepared(cordon, List.of("json", "random", "xml.etree.ElementTree"), principal, code);
    }

    /**
     * Runs {@code code} after {@link #PRELOADED}'s line, again until a call takes a context that has the modules
     * (a context is ready once booted, and has them imported a moment later while no call runs; a worker boots
     * its next context after it says it is free, and a call that comes sooner boots its own).
     */
    private static String runPrepared(Cordon cordon, List<String> modules, String principal, String code)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String names = "(" + String.join(", ", modules.stream().map(m -> "'" + m + "'").toList()) + ",)";
        String all = modules.stream().sorted().map(m -> "'" + m + "'").toList().toString();
        while (true) {
            while (cordon.preparedContextsReady() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            ExecutionResult r = cordon.run(Execution.builder().principal(principal)
                    .code(PRELOADED.formatted(names) + code).build());
            assertThat(r.status()).as("%s", r).isEqualTo(Status.OK);
            String[] lines = r.stdout().split("\n", 2);
            if (lines[0].equals(all)) {
                return lines.length > 1 ? lines[1] : "";
            }
            assertThat(lines[0]).as("a context booted on demand imports nothing ahead").isEqualTo("[]");
            assertThat(System.nanoTime()).as("a call took a prepared context in time").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    @Test
    void aCallThatTakesAPreparedContextFindsTheModulesImportedAndUsesThem() throws Exception {
        assertThat(runPrepared("alice", """
                import json, xml.etree.ElementTree as ET
                print(json.dumps({'a': [1, 2]}), ET.fromstring('<a><b/></a>')[0].tag)
                """)).isEqualTo("{\"a\": [1, 2]} b\n");
    }

    @Test
    void aNameThatCannotBeLoadedIsLeftOutAndItsImportBehavesAsWithoutPreloading() throws Exception {
        assertThat(runPrepared("alice", """
                import sys
                print('ctypes' in sys.modules, 'no_such_module' in sys.modules)
                for name in ('no_such_module', 'ctypes'):
                    try:
                        __import__(name)
                    except ImportError as e:
                        print(type(e).__name__)
                """)).isEqualTo("False False\nModuleNotFoundError\nImportError\n");
    }

    @Test
    void eachContextHasItsOwnStateOfAPreloadedModule() throws Exception {
        assertThat(runPrepared("mallory", """
                import json, random
                json.leak = 'mallory'
                json.dumps = None
                random.seed(1)
                print('changed')
                """)).isEqualTo("changed\n");
        Set<String> draws = new HashSet<>();
        for (String principal : List.of("alice", "mallory", "bob")) {
            String out = runPrepared(principal, """
                    import json, random
                    print(hasattr(json, 'leak'), json.dumps([1]))
                    print(random.random())
                    """);
            String[] lines = out.split("\n");
            assertThat(lines[0]).as(principal).isEqualTo("False [1]");
            draws.add(lines[1]);
        }
        assertThat(draws).as("each context's random module seeded anew").hasSize(3);
    }

    @Test
    void aServiceConfigurationNamesTheModulesToPreloadAndIsRefusedWithABadName() throws Exception {
        String config = """
                {"dataDir": "data", "isolation": "in-process", "preparedContexts": 1, "preloadModules": %s,
                 "clients": {"c": {"key": "0123456789abcdef0123", "principal": "p"}}}""";
        ServeConfig ok = ServeConfig.parse(config.formatted("[\"json\", \"csv\"]"), dir);
        assertThat(ok.preloadModules()).containsExactly("json", "csv");
        try (Cordon served = ok.newCordon("graalpy")) {
            assertThat(runPrepared(served, List.of("json", "csv"), "p", "import csv\nprint(csv.QUOTE_ALL)"))
                    .isEqualTo("1\n");
        }
        assertThat(ServeConfig.parse(config.formatted("[]"), dir).preloadModules()).isEmpty();
        for (String bad : new String[] {"[\"json\", \"os; import subprocess\"]", "[null]", "[\"\"]"}) {
            assertThatThrownBy(() -> ServeConfig.parse(config.formatted(bad), dir)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("preloadModules: ")
                    .hasMessageContaining("is not a module name");
        }
        assertThatThrownBy(() -> ServeConfig.parse(config.formatted("\"json\""), dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preloadModules");
    }

    @Test
    void theBuilderRefusesWhatIsNotAModuleName() {
        for (String bad : new String[] {"", "os; import subprocess", "../etc/passwd", "a..b", ".json", "json.", "1abc", "a b"}) {
            assertThatThrownBy(() -> Cordon.builder().preloadModules(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a module name");
        }
        assertThatThrownBy(() -> Cordon.builder().preloadModules((String) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cordon.builder().preloadModules(java.util.Collections.nCopies(101, "json")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 100");
    }
}
