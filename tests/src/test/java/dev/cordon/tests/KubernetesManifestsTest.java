package dev.cordon.tests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cordon.serve.CodeServer;
import dev.cordon.serve.ServeConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes manifests of examples/kubernetes, parsed into fabric8's typed model and checked against the
 * service they deploy: the configuration parses with the keys the Secret gives the environment, the ports and
 * probe paths are the server's, the grace period outlasts the longest run, the memory holds the server and its
 * workers, and every name and selector refers to something that exists.
 */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("..", "examples", "kubernetes");
    private static final String CONFIG_FILE = "cordon-serve.json";
    private static ConfigMap configMap;
    private static Secret secret;
    private static Secret databaseSecret;
    private static Deployment deployment;
    private static Service service;
    private static HorizontalPodAutoscaler hpa;
    private static PodDisruptionBudget pdb;
    private static NetworkPolicy policy;

    @BeforeAll
    static void parse() throws Exception {
        configMap = load("configmap.yaml", ConfigMap.class);
        secret = load("secret.yaml", Secret.class);
        databaseSecret = load("database-secret.yaml", Secret.class);
        deployment = load("deployment.yaml", Deployment.class);
        service = load("service.yaml", Service.class);
        hpa = load("hpa.yaml", HorizontalPodAutoscaler.class);
        pdb = load("pdb.yaml", PodDisruptionBudget.class);
        policy = load("networkpolicy.yaml", NetworkPolicy.class);
    }

    private static <T extends HasMetadata> T load(String file, Class<T> kind) throws Exception {
        try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
            Object parsed = Serialization.unmarshal(in);
            assertThat(parsed).as(file).isInstanceOf(kind);
            return kind.cast(parsed);
        }
    }

    private static PodSpec pod() {
        return deployment.getSpec().getTemplate().getSpec();
    }

    private static Container container() {
        assertThat(pod().getContainers()).hasSize(1);
        return pod().getContainers().get(0);
    }

    /** The configuration as the pod's server reads it: with the environment the Deployment gives it. */
    private static ServeConfig config() {
        Map<String, String> env = new HashMap<>();
        for (EnvVar v : container().getEnv()) {
            if (v.getValueFrom() != null && v.getValueFrom().getSecretKeyRef() != null) {
                var ref = v.getValueFrom().getSecretKeyRef();
                Secret from = ref.getName().equals(databaseSecret.getMetadata().getName()) ? databaseSecret : secret;
                assertThat(ref.getName()).as(v.getName()).isEqualTo(from.getMetadata().getName());
                assertThat(from.getStringData()).as(v.getName()).containsKey(ref.getKey());
                env.put(v.getName(), from.getStringData().get(ref.getKey()));
            } else {
                env.put(v.getName(), v.getValue());
            }
        }
        String json = configMap.getData().get(CONFIG_FILE);
        assertThat(json).as("the ConfigMap holds " + CONFIG_FILE).isNotNull();
        return ServeConfig.parse(json, Path.of("/etc/cordon"), env);
    }

    @Test
    void theConfigurationParsesWithTheSecretsKeysAndHoldsNoKeyItself() {
        ServeConfig config = config();
        assertThat(config.clients()).isNotEmpty();
        assertThat(configMap.getData().get(CONFIG_FILE)).doesNotContain("\"key\"");
        for (String key : secret.getStringData().values()) {
            assertThat(configMap.getData().get(CONFIG_FILE)).doesNotContain(key);
        }
        // The server is started on that file, mounted from that ConfigMap.
        assertThat(container().getArgs()).containsSubsequence("serve", "--config", "/etc/cordon/" + CONFIG_FILE);
        var mount = container().getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/etc/cordon"))
                .findFirst().orElseThrow();
        var volume = pod().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertThat(volume.getConfigMap().getName()).isEqualTo(configMap.getMetadata().getName());
        assertThat(config.bind()).as("reachable from outside the pod").isEqualTo("0.0.0.0");
    }

    @Test
    void theStateIsInTheDatabaseThePodsMayReachWithThePasswordFromItsSecret() {
        ServeConfig config = config();
        assertThat(config.state()).as("principals' state shared by the replicas").isNotNull();
        assertThat(config.state().password()).isEqualTo(databaseSecret.getStringData().get("password"));
        assertThat(configMap.getData().get(CONFIG_FILE)).doesNotContain(config.state().password());
        java.net.URI db = java.net.URI.create(config.state().url().substring("jdbc:".length()));
        var egress = policy.getSpec().getEgress().stream()
                .filter(e -> e.getTo() != null && !e.getTo().isEmpty()).toList();
        assertThat(egress).as("an egress rule to the database's pods").hasSize(1);
        assertThat(egress.get(0).getTo().get(0).getPodSelector().getMatchLabels())
                .containsEntry("app.kubernetes.io/name", db.getHost());
        assertThat(egress.get(0).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(db.getPort());
        assertThat(config.services().get("cache")).as("kv, kept in the state database").isEqualTo("kv");
    }

    @Test
    void portsAndProbesAreTheServersOwn() throws Exception {
        ServeConfig config = config();
        var port = container().getPorts().get(0);
        assertThat(port.getContainerPort()).isEqualTo(config.port());
        JsonNode routes = dev.cordon.capabilities.Json.MAPPER.readTree(CodeServer.OPENAPI).path("paths");
        Probe ready = container().getReadinessProbe();
        Probe live = container().getLivenessProbe();
        assertThat(ready.getHttpGet().getPath()).isEqualTo("/v1/ready");
        assertThat(live.getHttpGet().getPath()).isEqualTo("/v1/health");
        assertThat(container().getStartupProbe().getHttpGet().getPath()).isEqualTo("/v1/health");
        for (Probe p : List.of(ready, live, container().getStartupProbe())) {
            assertThat(routes.has(p.getHttpGet().getPath())).as(p.getHttpGet().getPath()).isTrue();
            assertThat(p.getHttpGet().getPort().getStrVal()).isEqualTo(port.getName());
        }
        assertThat(service.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo(port.getName());
        var ingress = policy.getSpec().getIngress();
        assertThat(ingress).hasSize(1);
        assertThat(ingress.get(0).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(config.port());
    }

    @Test
    void theGracePeriodOutlastsTheLongestRunAndItsDrain() {
        ServeConfig config = config();
        long longest = config.clients().values().stream().mapToLong(c -> c.limits().wallTime().toSeconds()).max()
                .orElseThrow();
        // The drain waits for the longest run and 5 s more (CodeServer.drainPatience).
        assertThat(pod().getTerminationGracePeriodSeconds()).isGreaterThan(longest + 5);
    }

    @Test
    void memoryHoldsTheServerAndEveryWorkerAndIsGuaranteed() {
        ServeConfig config = config();
        String opts = container().getEnv().stream().filter(e -> e.getName().equals("CORDON_JAVA_OPTS")).findFirst()
                .orElseThrow().getValue();
        Matcher xmx = Pattern.compile("-Xmx(\\d+)([mg])").matcher(opts);
        assertThat(xmx.find()).as("the server's heap is set: " + opts).isTrue();
        long heap = Long.parseLong(xmx.group(1)) << (xmx.group(2).equals("g") ? 30 : 20);
        long overhead = 256L << 20;   // metaspace, code caches, thread stacks and GraalPy's native parts per JVM
        int workers = config.isolation() == dev.cordon.Isolation.PROCESS ? config.maxConcurrentRuns() + 1 : 0;
        long needed = heap + overhead + workers * (config.workerHeap() + overhead);
        var resources = container().getResources();
        long limit = Quantity.getAmountInBytes(resources.getLimits().get("memory")).longValueExact();
        assertThat(limit).as("the memory limit holds %d bytes", needed).isGreaterThanOrEqualTo(needed);
        assertThat(resources.getRequests().get("memory")).as("requested as limited: never evicted for memory first")
                .isEqualTo(resources.getLimits().get("memory"));
        assertThat(Quantity.getAmountInBytes(resources.getRequests().get("cpu")).doubleValue())
                .as("a core per run slot").isGreaterThanOrEqualTo(config.maxConcurrentRuns());
    }

    @Test
    void namesAndSelectorsReferToWhatExists() {
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(podLabels).containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(deployment.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThan(pdb.getSpec().getMinAvailable().getIntVal());
    }

    @Test
    void thePodRunsUnprivilegedOnAReadOnlyRootAndReachesOnlyDnsAndPostgres() throws Exception {
        ServeConfig config = config();
        assertThat(pod().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod().getAutomountServiceAccountToken()).isFalse();
        var security = container().getSecurityContext();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        // Everything the server writes is a mounted volume: its data directory, the JVM's temporary files, and
        // GraalPy's resource cache.
        List<String> mounted = container().getVolumeMounts().stream().map(m -> m.getMountPath()).toList();
        assertThat(mounted).contains(config.dataDir().toString(), "/tmp", "/var/cache/cordon");
        assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(policy.getSpec().getEgress().stream().flatMap(r -> r.getPorts().stream())
                .map(NetworkPolicyPort::getPort).map(p -> p.getIntVal())).containsOnly(53, 5432);
        String dockerfile = Files.readString(DIR.resolve("Dockerfile"));
        assertThat(dockerfile).containsPattern("(?m)^USER 10001").contains("EXPOSE " + config.port());
        assertThat(pod().getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    }
}
