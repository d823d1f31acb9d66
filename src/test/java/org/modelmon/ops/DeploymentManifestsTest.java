package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modelmon.cli.Main;
import org.modelmon.config.ConfigException;
import org.modelmon.config.ConfigLoader;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.state.BoundedMemoryRocksDBConfig;
import picocli.CommandLine;

/**
 * Checks what is shipped but cannot be run here (there is no container engine): the image ({@code
 * deploy/Dockerfile}), the Compose stack ({@code docker-compose.yml} and the Prometheus and
 * Alertmanager configuration) and the Kubernetes manifests ({@code deploy/kubernetes}).
 *
 * <p>Each file goes through a real parser or schema: {@code docker-compose config}, {@code
 * promtool}, {@code amtool}, the Kubernetes and prometheus-operator JSON schemas, fabric8's typed
 * Kubernetes model, and the Docker language server's Dockerfile linter. Then the files are checked
 * against each other and against the code: one port everywhere, one state directory, only
 * configuration keys that modelmon knows, commands that the jar has.
 */
class DeploymentManifestsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path DOCKERFILE = ROOT.resolve("deploy/Dockerfile");
  private static final Path COMPOSE_FILE = ROOT.resolve("docker-compose.yml");
  private static final Path PROMETHEUS_CONFIG = ROOT.resolve("deploy/prometheus/prometheus.yml");
  private static final Path ALERTMANAGER_CONFIG =
      ROOT.resolve("deploy/alertmanager/alertmanager.yml");
  private static final Path KUBERNETES = ROOT.resolve("deploy/kubernetes");
  private static final Path VALIDATOR_SOURCES = ROOT.resolve("src/test/manifest-validator");
  private static final Path VALIDATOR = ROOT.resolve("target/manifest-validator");

  /** The kinds deploy/kubernetes may hold, with the typed model of each. */
  private static final Map<String, Class<?>> TYPED_MODELS =
      Map.of(
          "v1/ConfigMap", ConfigMap.class,
          "v1/Service", Service.class,
          "apps/v1/StatefulSet", StatefulSet.class,
          "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
          "monitoring.coreos.com/v1/PodMonitor", PodMonitor.class,
          "monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class);

  private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(3);

  /** What the JVM uses beside its heap (metaspace, code cache, threads, buffers), at most. */
  private static final long JVM_OUTSIDE_HEAP = 384L << 20;
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Jackson as the API server reads: a string is no number. */
  private static final ObjectMapper STRICT_JSON =
      JsonMapper.builder().disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).build();

  private static final Pattern APPLICATION_SERVER =
      Pattern.compile("\\$\\(POD_NAME\\)\\.([a-z0-9-]+)\\.\\$\\(POD_NAMESPACE\\)\\.svc:(\\d+)");

  @TempDir Path temp;

  // --- the files, each through a real parser or schema --------------------------------------

  @Test
  void shouldBeAComposeFileThatDockerComposeAccepts() {
    ExternalTool.run(
            ROOT, "", TOOL_TIMEOUT, "docker-compose", "-f", COMPOSE_FILE.toString(), "config", "-q")
        .assertSucceeded();
  }

  @Test
  void shouldHaveDockerComposeRejectAnUnknownOption() throws IOException {
    // Proves the check above is a real validation, not a parser that takes anything.
    final Path compose = temp.resolve("docker-compose.yml");
    Files.writeString(compose, "services:\n  app:\n    image: busybox\n    restrat: always\n");

    final ExternalTool.Result result =
        ExternalTool.run(
            temp, "", TOOL_TIMEOUT, "docker-compose", "-f", "docker-compose.yml", "config", "-q");

    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("restrat");
  }

  @Test
  void shouldBePrometheusAndAlertmanagerConfigurationThatTheirToolsAccept() {
    ExternalTool.run(
            ROOT, "", TOOL_TIMEOUT, "promtool", "check", "config", PROMETHEUS_CONFIG.toString())
        .assertSucceeded();
    ExternalTool.run(
            ROOT, "", TOOL_TIMEOUT, "amtool", "check-config", ALERTMANAGER_CONFIG.toString())
        .assertSucceeded();
  }

  @Test
  void shouldPassTheDockerfileLinter() throws IOException {
    final ObjectNode request = JSON.createObjectNode();
    request
        .putArray("dockerfiles")
        .addObject()
        .put("source", "deploy/Dockerfile")
        .put("text", Files.readString(DOCKERFILE));

    final JsonNode answer = validate(request);

    assertThat(texts(answer.path("problems"))).isEmpty();
    assertThat(texts(answer.path("checked"))).containsExactly("deploy/Dockerfile: Dockerfile");
  }

  @Test
  void shouldMatchTheKubernetesAndPrometheusOperatorSchemas() {
    final List<Manifest> manifests = kubernetesManifests();
    final ObjectNode request = JSON.createObjectNode();
    final ArrayNode documents = request.putArray("kubernetes");
    manifests.forEach(
        manifest ->
            documents.addObject().put("source", manifest.source()).set("document", manifest.doc()));

    final JsonNode answer = validate(request);

    assertThat(texts(answer.path("problems"))).isEmpty();
    assertThat(texts(answer.path("checked"))).hasSize(manifests.size());
  }

  @Test
  void shouldHaveTheSchemasCatchAMissingFieldAWrongTypeAndABadEnum() throws IOException {
    final JsonNode broken =
        YAML.readTree(
            """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: broken}
            spec:
              replicas: two
              template:
                spec:
                  containers:
                    - {name: app, image: app, imagePullPolicy: Sometimes}
            """);
    final ObjectNode request = JSON.createObjectNode();
    request.putArray("kubernetes").addObject().put("source", "broken.yaml").set("document", broken);

    final List<String> problems = texts(validate(request).path("problems"));

    assertThat(problems)
        .singleElement()
        .asString()
        .contains(
            "must have required property selector",
            "replicas must be integer",
            "imagePullPolicy must be equal to one of the allowed values");
  }

  @Test
  void shouldUseNoFieldThatTheKubernetesApiDoesNotKnow() {
    // The JSON schemas allow unknown fields; the API server (kubectl's strict field validation)
    // rejects them, and a misspelt optional field would otherwise simply be ignored.
    for (final Manifest manifest : kubernetesManifests()) {
      assertThat(unknownFields(manifest.doc())).as(manifest.source()).isEmpty();
    }
  }

  @Test
  void shouldHaveTheTypedModelCatchAMisspeltField() throws IOException {
    final JsonNode misspelt =
        YAML.readTree(
            """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: misspelt}
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      readinesProbe: {httpGet: {path: /health/ready, port: http}}
            """);

    assertThat(unknownFields(misspelt))
        .containsExactly(".spec.template.spec.containers[0].readinesProbe");
  }

  // --- Kubernetes: the manifests as a whole --------------------------------------------------

  @Test
  void shouldListEveryManifestInTheKustomizationAndNameNoNamespace() throws IOException {
    final JsonNode kustomization = YAML.readTree(KUBERNETES.resolve("kustomization.yaml").toFile());
    final List<String> resources = texts(kustomization.path("resources"));
    final List<String> files;
    try (Stream<Path> list = Files.list(KUBERNETES)) {
      files =
          list.map(path -> path.getFileName().toString())
              .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
              .sorted()
              .toList();
    }

    assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
    assertThat(kustomization.has("namespace")).as("kustomization namespace").isFalse();
    assertThat(resources).containsAll(files).doesNotHaveDuplicates();
    for (final Manifest manifest : kubernetesManifests()) {
      assertThat(manifest.doc().path("metadata").has("namespace"))
          .as("%s names a namespace", manifest.source())
          .isFalse();
    }
    assertExist(resources.stream().map(KUBERNETES::resolve).toList());
  }

  @Test
  void shouldBuildWithKustomizeAndShipTheDashboardToGrafanasSidecar() throws IOException {
    final List<JsonNode> built = kustomizeBuild();
    final List<JsonNode> dashboards =
        built.stream()
            .filter(doc -> doc.path("kind").asText().equals("ConfigMap"))
            .filter(doc -> doc.at("/metadata/labels/grafana_dashboard").asText().equals("1"))
            .toList();

    assertThat(dashboards).hasSize(1);
    final JsonNode dashboard = dashboards.get(0);
    // A fixed name: a hash suffix would leave the previous version behind on every change.
    assertThat(dashboard.at("/metadata/name").asText()).isEqualTo("modelmon-grafana-dashboard");
    final List<String> keys = new ArrayList<>();
    dashboard.path("data").fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("modelmon.json");
    assertThat(dashboard.at("/data/modelmon.json").asText())
        .as("the dashboard in the ConfigMap")
        .isEqualTo(Files.readString(ROOT.resolve(PromQlReferencesTest.DASHBOARD)));
    // Everything else is the manifests as they are, and the whole build passes the schemas and
    // the typed model.
    assertThat(built).hasSize(kubernetesManifests().size() + 1);
    final ObjectNode request = JSON.createObjectNode();
    final ArrayNode documents = request.putArray("kubernetes");
    built.forEach(
        doc -> documents.addObject().put("source", "kustomize build").set("document", doc));
    assertThat(texts(validate(request).path("problems"))).isEmpty();
    for (final JsonNode doc : built) {
      assertThat(unknownFields(doc)).as("kustomize build: %s", doc.at("/metadata/name")).isEmpty();
    }
  }

  @Test
  void shouldDocumentTheLabelsThePrometheusOperatorSelectsOnInOnePlace() throws IOException {
    final String kustomization = Files.readString(KUBERNETES.resolve("kustomization.yaml"));
    assertThat(kustomization).contains("podMonitorSelector", "ruleSelector");
    for (final Manifest manifest : kubernetesManifests()) {
      final String text = Files.readString(ROOT.resolve(manifest.source()));
      assertThat(text)
          .as("%s explains no selector itself", manifest.source())
          .doesNotContain("podMonitorSelector", "ruleSelector");
      if (manifest.kind().equals("PodMonitor") || manifest.kind().equals("PrometheusRule")) {
        assertThat(text)
            .as("%s refers to the explanation", manifest.source())
            .contains("kustomization.yaml");
      }
    }
    assertThat(Files.readString(ROOT.resolve(PrometheusRulesTest.RUNBOOK)))
        .contains("(../deploy/kubernetes/kustomization.yaml)");
  }

  @Test
  void shouldLetADrainEvictAPodThatIsNotReady() {
    final PodDisruptionBudget budget =
        STRICT_JSON.convertValue(one("PodDisruptionBudget").doc(), PodDisruptionBudget.class);

    assertThat(budget.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
    assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
  }

  @Test
  void shouldSpreadOverZonesAndMountNoServiceAccountToken() {
    final StatefulSet statefulSet =
        STRICT_JSON.convertValue(one("StatefulSet").doc(), StatefulSet.class);
    final PodSpec pod = statefulSet.getSpec().getTemplate().getSpec();
    final Map<String, String> podLabels =
        statefulSet.getSpec().getTemplate().getMetadata().getLabels();

    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getTopologySpreadConstraints())
        .anySatisfy(
            spread -> {
              assertThat(spread.getTopologyKey()).isEqualTo("topology.kubernetes.io/zone");
              assertThat(spread.getMaxSkew()).isEqualTo(1);
              assertThat(podLabels)
                  .containsAllEntriesOf(spread.getLabelSelector().getMatchLabels());
            });
  }

  @Test
  void shouldLeaveRoomBesideTheHeapForRocksDbAndTheJvm() {
    final JsonNode statefulSet = one("StatefulSet").doc();
    final long limit =
        bytes(modelmonContainer(statefulSet).at("/resources/limits/memory").asText());
    final String percentage =
        dockerfile().execForm("ENTRYPOINT").stream()
            .filter(flag -> flag.startsWith("-XX:MaxRAMPercentage="))
            .findFirst()
            .orElseThrow()
            .substring("-XX:MaxRAMPercentage=".length());
    final long heap = (long) (limit * Double.parseDouble(percentage) / 100);
    final long rocksDb =
        BoundedMemoryRocksDBConfig.totalMemoryBytes(
            load(podEnvironment(statefulSet), "deploy/kubernetes").kafka());

    // Metaspace, code cache, thread stacks, GC structures and the clients' buffers: a few
    // hundred MiB for a JVM of this size.
    assertThat(heap + rocksDb + JVM_OUTSIDE_HEAP)
        .as("heap %d + RocksDB %d + JVM %d bytes within the limit", heap, rocksDb, JVM_OUTSIDE_HEAP)
        .isLessThanOrEqualTo(limit);
  }

  @Test
  void shouldAdvertiseEachPodUnderTheHeadlessServiceItsStatefulSetNames() {
    final JsonNode statefulSet = one("StatefulSet").doc();
    final JsonNode headless = service(statefulSet.at("/spec/serviceName").asText());
    final Map<String, String> environment = podEnvironment(statefulSet);

    assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
    assertThat(headless.at("/spec/publishNotReadyAddresses").asBoolean())
        .as("peers must find a pod while it rebalances (not ready)")
        .isTrue();
    final String written =
        modelmonContainer(statefulSet).path("env").findParents("name").stream()
            .filter(
                variable ->
                    variable.path("name").asText().equals("MODELMON_KAFKA_APPLICATION_SERVER"))
            .map(variable -> variable.path("value").asText())
            .findFirst()
            .orElseThrow();
    final Matcher server = APPLICATION_SERVER.matcher(written);
    assertThat(server.matches()).as("%s matches %s", written, APPLICATION_SERVER).isTrue();
    assertThat(server.group(1)).isEqualTo(headless.at("/metadata/name").asText());
    assertThat(Integer.parseInt(server.group(2))).isEqualTo(containerPort(statefulSet, "http"));
    // As the kubelet expands it in pod modelmon-0 of namespace "monitoring":
    assertThat(load(environment, "deploy/kubernetes").kafka())
        .containsEntry(
            StreamsConfig.APPLICATION_SERVER_CONFIG,
            "modelmon-0." + server.group(1) + ".monitoring.svc:" + server.group(2));
  }

  @Test
  void shouldSelectTheStatefulSetsPodsFromEveryServiceMonitorAndBudget() {
    final JsonNode statefulSet = one("StatefulSet").doc();
    final JsonNode podLabels = statefulSet.at("/spec/template/metadata/labels");
    assertThat(matches(statefulSet.at("/spec/selector/matchLabels"), podLabels)).isTrue();

    for (final Manifest manifest : kubernetesManifests()) {
      final JsonNode spec = manifest.doc().path("spec");
      final JsonNode selector =
          switch (manifest.kind()) {
            case "Service" -> spec.path("selector");
            case "PodMonitor", "PodDisruptionBudget" -> spec.at("/selector/matchLabels");
            default -> null;
          };
      if (selector != null) {
        assertThat(selector.isEmpty()).as("%s selects nothing", manifest.source()).isFalse();
        assertThat(matches(selector, podLabels))
            .as("%s selects modelmon's pods", manifest.source())
            .isTrue();
      }
    }
  }

  @Test
  void shouldRunWithoutServiceLinksWhichModelmonWouldRefuse() {
    // Kubernetes puts <SERVICE>_SERVICE_HOST etc. into every pod for each Service of the
    // namespace; for the Service "modelmon" those are MODELMON_*, which ConfigLoader rejects.
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    Optional.empty(), Map.of("MODELMON_SERVICE_HOST", "10.0.0.1"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("MODELMON_SERVICE_HOST");
    final JsonNode podSpec = one("StatefulSet").doc().at("/spec/template/spec");
    assertThat(podSpec.path("enableServiceLinks").isBoolean()).isTrue();
    assertThat(podSpec.path("enableServiceLinks").asBoolean()).isFalse();
  }

  @Test
  void shouldRunAsTheImagesUserOnAReadOnlyRootWithAWritableTmpAndTimeToStop() {
    final JsonNode podSpec = one("StatefulSet").doc().at("/spec/template/spec");
    final JsonNode container = modelmonContainer(one("StatefulSet").doc());
    final String user = dockerfile().last("USER").orElseThrow();

    assertThat(podSpec.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(
            podSpec.at("/securityContext/runAsUser").asText()
                + ":"
                + podSpec.at("/securityContext/runAsGroup").asText())
        .isEqualTo(user);
    assertThat(podSpec.at("/securityContext/fsGroup").asText())
        .isEqualTo(user.substring(user.indexOf(':') + 1));
    assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    final String tmpVolume = volumeMountedAt(container, "/tmp");
    assertThat(podSpec.path("volumes").findValues("name").stream().map(JsonNode::asText))
        .contains(tmpVolume);
    assertThat(podSpec.path("terminationGracePeriodSeconds").asInt()).isGreaterThanOrEqualTo(60);
  }

  @Test
  void shouldProbeScrapeAndServeThePortTheImageExposes() {
    final int port = imagePort();
    final JsonNode statefulSet = one("StatefulSet").doc();
    final JsonNode container = modelmonContainer(statefulSet);
    final Map<String, String> environment = podEnvironment(statefulSet);

    assertThat(load(environment, "deploy/kubernetes").httpPort()).isEqualTo(port);
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
    for (final String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      final JsonNode probePort = container.path(probe).at("/httpGet/port");
      assertThat(resolvePort(statefulSet, probePort)).as(probe).isEqualTo(port);
    }
    // The liveness probe tolerates a minute of missed answers (a long GC pause, a slow node).
    final JsonNode liveness = container.path("livenessProbe");
    assertThat(liveness.path("periodSeconds").asInt() * liveness.path("failureThreshold").asInt())
        .isGreaterThanOrEqualTo(60);

    for (final Manifest manifest : kubernetesManifests()) {
      switch (manifest.kind()) {
        case "Service" -> {
          for (final JsonNode servicePort : manifest.doc().at("/spec/ports")) {
            assertThat(resolvePort(statefulSet, servicePort.path("targetPort")))
                .as(manifest.source())
                .isEqualTo(port);
          }
        }
        case "PodMonitor" -> {
          final JsonNode endpoints = manifest.doc().at("/spec/podMetricsEndpoints");
          assertThat(endpoints).isNotEmpty();
          for (final JsonNode endpoint : endpoints) {
            assertThat(resolvePort(statefulSet, endpoint.path("port"))).isEqualTo(port);
            assertThat(endpoint.path("path").asText("/metrics")).isEqualTo("/metrics");
          }
        }
        default -> {}
      }
    }

    final JsonNode modelmon = composeService("modelmon");
    assertThat(load(composeEnvironment(modelmon), "docker-compose.yml").httpPort()).isEqualTo(port);
    assertThat(modelmon.path("ports").findValues("target").stream().map(JsonNode::asInt))
        .containsExactly(port);
    assertThat(String.join(" ", texts(modelmon.at("/healthcheck/test"))))
        .contains("http://127.0.0.1:" + port + "/health/ready");
    assertThat(dockerfile().last("HEALTHCHECK").orElseThrow())
        .contains("${MODELMON_HTTP_PORT:-" + port + "}/health/live");
  }

  @Test
  void shouldSetOnlyConfigurationKeysThatModelmonAndKafkaKnow() throws IOException {
    final JsonNode configMap = one("ConfigMap").doc();
    configMap
        .path("data")
        .fieldNames()
        .forEachRemaining(name -> assertThat(name).as("ConfigMap key").startsWith("MODELMON_"));
    assertThat(
            modelmonContainer(one("StatefulSet").doc()).path("envFrom").findValues("name").stream()
                .map(JsonNode::asText))
        .containsExactly(configMap.at("/metadata/name").asText());

    final Map<String, Map<String, String>> environments = new LinkedHashMap<>();
    environments.put("deploy/Dockerfile", dockerfile().environment());
    environments.put("docker-compose.yml", composeEnvironment(composeService("modelmon")));
    environments.put("deploy/kubernetes", podEnvironment(one("StatefulSet").doc()));

    for (final Map.Entry<String, Map<String, String>> entry : environments.entrySet()) {
      final ModelmonConfig config = load(entry.getValue(), entry.getKey());
      assertThat(config.kafka().keySet())
          .as("Kafka settings in %s", entry.getKey())
          .allSatisfy(key -> assertThat(knownKafkaSettings()).contains(stripClientPrefix(key)));
    }
  }

  @Test
  void shouldKeepStateOnTheImagesVolumeEverywhere() {
    final List<String> volumes = dockerfile().volumes();
    assertThat(volumes).hasSize(1);
    final String stateDir = volumes.get(0);

    assertThat(load(dockerfile().environment(), "deploy/Dockerfile").stateDir()).hasValue(stateDir);

    final JsonNode statefulSet = one("StatefulSet").doc();
    assertThat(load(podEnvironment(statefulSet), "deploy/kubernetes").stateDir())
        .hasValue(stateDir);
    final String claim = volumeMountedAt(modelmonContainer(statefulSet), stateDir);
    assertThat(
            statefulSet.at("/spec/volumeClaimTemplates").findValues("name").stream()
                .map(JsonNode::asText))
        .contains(claim);

    final JsonNode modelmon = composeService("modelmon");
    final Optional<String[]> stateVolume =
        texts(modelmon.path("volumes")).stream()
            .map(volume -> volume.split(":"))
            .filter(parts -> parts[1].equals(stateDir))
            .findFirst();
    assertThat(stateVolume).as("a volume at %s in compose", stateDir).isPresent();
    assertThat(runCompose("config", "--volumes").lines())
        .as("a named volume, not a bind mount")
        .contains(stateVolume.get()[0]);
  }

  @Test
  void shouldScaleToSeveralPodsWithStandbyReplicas() {
    final JsonNode statefulSet = one("StatefulSet").doc();
    final ModelmonConfig config = load(podEnvironment(statefulSet), "deploy/kubernetes");

    assertThat(statefulSet.at("/spec/replicas").asInt()).isGreaterThanOrEqualTo(2);
    assertThat(statefulSet.at("/spec/podManagementPolicy").asText()).isEqualTo("Parallel");
    assertThat(config.kafka()).containsKey(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG);
    assertThat(Integer.parseInt(config.kafka().get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)))
        .isGreaterThanOrEqualTo(1);
    assertThat(texts(statefulSet.at("/spec/volumeClaimTemplates/0/spec/accessModes")))
        .containsExactly("ReadWriteOnce");
  }

  // --- the image and the commands it runs ----------------------------------------------------

  @Test
  void shouldRunACommandThatTheJarHas() {
    final Map<String, CommandLine> commands = Main.commandLine(Map.of()).getSubcommands();

    assertThat(commands).containsKey(dockerfile().execForm("CMD").get(0));
    assertThat(commands).containsKey(texts(composeService("modelmon").path("command")).get(0));
    assertThat(commands)
        .containsKey(texts(modelmonContainer(one("StatefulSet").doc()).path("args")).get(0));
  }

  @Test
  void shouldGenerateTrafficWithFlagsThatTheDemoHas() {
    // The traffic service runs the demo's generator against the Compose broker.
    final List<String> command = texts(composeService("traffic").path("command"));
    final Map<String, CommandLine> commands = Main.commandLine(Map.of()).getSubcommands();
    assertThat(commands).containsKey(command.get(0));

    final CommandLine.Model.CommandSpec demo = commands.get(command.get(0)).getCommandSpec();
    for (final String argument : command.subList(1, command.size())) {
      if (argument.startsWith("-")) {
        assertThat(demo.findOption(argument)).as("option %s of %s", argument, command).isNotNull();
      }
    }
  }

  @Test
  void shouldCopyTheJarThatThePomBuildsAndRunIt() throws IOException {
    final Matcher finalName =
        Pattern.compile("<finalName>([^<]+)</finalName>")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    assertThat(finalName.find()).isTrue();
    final String jar = finalName.group(1) + ".jar";

    final String copy =
        dockerfile().all("COPY").stream()
            .filter(arguments -> arguments.startsWith("--from="))
            .findFirst()
            .orElseThrow();
    final String[] parts = copy.split("\\s+");
    assertThat(parts[1]).endsWith("/target/" + jar);
    final List<String> entrypoint = dockerfile().execForm("ENTRYPOINT");
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint).anyMatch(flag -> flag.startsWith("-XX:MaxRAMPercentage="));
    assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size()))
        .containsExactly("-jar", parts[2]);
  }

  // --- Compose: the stack as a whole ---------------------------------------------------------

  @Test
  void shouldRunTheBrokerVersionThatTheClientsAreBuiltWith() throws IOException {
    final Matcher kafkaVersion =
        Pattern.compile("<kafka.version>([^<]+)</kafka.version>")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    assertThat(kafkaVersion.find()).isTrue();

    assertThat(composeService("kafka").path("image").asText())
        .isEqualTo("apache/kafka:" + kafkaVersion.group(1));
    assertThat(composeService("kafka").path("healthcheck").has("test")).isTrue();
    assertThat(composeService("modelmon").path("depends_on").at("/kafka/condition").asText())
        .isEqualTo("service_healthy");
  }

  @Test
  void shouldBuildModelmonFromTheDockerfile() {
    final JsonNode build = composeService("modelmon").path("build");

    assertThat(Path.of(build.path("context").asText())).isEqualTo(ROOT);
    assertThat(ROOT.resolve(build.path("dockerfile").asText())).isEqualTo(DOCKERFILE);
    assertThat(composeService("traffic").path("image").asText())
        .isEqualTo(composeService("modelmon").path("image").asText());
  }

  @Test
  void shouldScrapeModelmonAndAlertThroughTheComposeServices() throws IOException {
    final JsonNode prometheus = YAML.readTree(PROMETHEUS_CONFIG.toFile());
    final List<String> targets = new ArrayList<>();
    final List<String> jobs = new ArrayList<>();
    for (final JsonNode job : prometheus.path("scrape_configs")) {
      jobs.add(job.path("job_name").asText());
      job.path("static_configs").findValues("targets").forEach(list -> targets.addAll(texts(list)));
    }

    assertThat(targets).contains("modelmon:" + imagePort());
    // The same job label as the PodMonitor gives on Kubernetes (jobLabel: the pods' name label).
    final JsonNode podMonitor = one("PodMonitor").doc();
    final String jobLabel = podMonitor.at("/spec/jobLabel").asText();
    assertThat(jobs)
        .contains(
            one("StatefulSet").doc().at("/spec/template/metadata/labels").path(jobLabel).asText());
    final List<String> alertmanagers =
        prometheus.path("alerting").findValues("targets").stream()
            .flatMap(list -> texts(list).stream())
            .toList();
    assertThat(alertmanagers).containsExactly("alertmanager:9093");
    assertThat(
            composeService("alertmanager").path("ports").findValues("target").stream()
                .map(JsonNode::asInt))
        .contains(9093);
  }

  @Test
  void shouldMountOnlyFilesThatExist() {
    final List<Path> sources = new ArrayList<>();
    composeServices()
        .forEach(
            service ->
                texts(service.path("volumes")).stream()
                    .map(volume -> volume.split(":")[0])
                    .filter(source -> source.startsWith("/"))
                    .map(Path::of)
                    .forEach(sources::add));

    assertThat(sources).isNotEmpty().allSatisfy(source -> assertThat(source).startsWithRaw(ROOT));
    assertExist(sources);
  }

  // --- helpers -------------------------------------------------------------------------------

  /** One document of deploy/kubernetes. */
  private record Manifest(String source, JsonNode doc) {
    String kind() {
      return doc.path("kind").asText();
    }
  }

  /** The resources {@code kubectl kustomize deploy/kubernetes} builds. */
  private static List<JsonNode> kustomizeBuild() throws IOException {
    final String output =
        ExternalTool.run(ROOT, "", TOOL_TIMEOUT, "kubectl", "kustomize", KUBERNETES.toString())
            .assertSucceeded()
            .stdout();
    final List<JsonNode> built = new ArrayList<>();
    try (var documents = YAML.readerFor(JsonNode.class).<JsonNode>readValues(output)) {
      while (documents.hasNext()) {
        built.add(documents.next());
      }
    }
    return built;
  }

  /** A Kubernetes memory quantity in bytes: a number with an optional Ki, Mi or Gi. */
  private static long bytes(final String quantity) {
    final Matcher matcher = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(quantity);
    assertThat(matcher.matches()).as("a memory quantity: %s", quantity).isTrue();
    final long number = Long.parseLong(matcher.group(1));
    return matcher.group(2) == null
        ? number
        : switch (matcher.group(2)) {
          case "Ki" -> number << 10;
          case "Mi" -> number << 20;
          default -> number << 30;
        };
  }

  private static List<Manifest> kubernetesManifests() {
    final List<Manifest> manifests = new ArrayList<>();
    try (Stream<Path> list = Files.list(KUBERNETES)) {
      for (final Path file : list.sorted().toList()) {
        final String name = file.getFileName().toString();
        if (!name.endsWith(".yaml") || name.equals("kustomization.yaml")) {
          continue;
        }
        try (var documents = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
          while (documents.hasNext()) {
            final JsonNode doc = documents.next();
            if (doc != null && !doc.isNull() && !doc.isEmpty()) {
              manifests.add(new Manifest("deploy/kubernetes/" + name, doc));
            }
          }
        }
      }
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(manifests).isNotEmpty();
    return manifests;
  }

  private static Manifest one(final String kind) {
    final List<Manifest> found =
        kubernetesManifests().stream().filter(manifest -> manifest.kind().equals(kind)).toList();
    assertThat(found).as("the %s in deploy/kubernetes", kind).hasSize(1);
    return found.get(0);
  }

  private static JsonNode service(final String name) {
    return kubernetesManifests().stream()
        .filter(m -> m.kind().equals("Service"))
        .map(Manifest::doc)
        .filter(doc -> doc.at("/metadata/name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + name));
  }

  private static JsonNode modelmonContainer(final JsonNode statefulSet) {
    for (final JsonNode container : statefulSet.at("/spec/template/spec/containers")) {
      if (container.path("name").asText().equals("modelmon")) {
        return container;
      }
    }
    throw new AssertionError("no container named modelmon");
  }

  private static int containerPort(final JsonNode statefulSet, final String name) {
    for (final JsonNode port : modelmonContainer(statefulSet).path("ports")) {
      if (port.path("name").asText().equals(name)) {
        return port.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + name);
  }

  /** A port given by number or by the name of a container port. */
  private static int resolvePort(final JsonNode statefulSet, final JsonNode port) {
    return port.isInt() ? port.asInt() : containerPort(statefulSet, port.asText());
  }

  private static String volumeMountedAt(final JsonNode container, final String path) {
    for (final JsonNode mount : container.path("volumeMounts")) {
      if (mount.path("mountPath").asText().equals(path)) {
        return mount.path("name").asText();
      }
    }
    throw new AssertionError("nothing mounted at " + path);
  }

  private static boolean matches(final JsonNode selector, final JsonNode labels) {
    final Set<Map.Entry<String, JsonNode>> wanted = new HashSet<>();
    selector.fields().forEachRemaining(wanted::add);
    final Set<Map.Entry<String, JsonNode>> present = new HashSet<>();
    labels.fields().forEachRemaining(present::add);
    return present.containsAll(wanted);
  }

  /**
   * The modelmon container's environment as the kubelet builds it: the ConfigMap's keys, then
   * {@code env} in order, with {@code $(VAR)} expanded from what is defined before it and the
   * downward API's fields filled with sample values.
   */
  private static Map<String, String> podEnvironment(final JsonNode statefulSet) {
    final Map<String, String> environment = new LinkedHashMap<>();
    final JsonNode configMap = one("ConfigMap").doc();
    configMap
        .path("data")
        .fields()
        .forEachRemaining(field -> environment.put(field.getKey(), field.getValue().asText()));
    final Map<String, String> downwardApi =
        Map.of("metadata.name", "modelmon-0", "metadata.namespace", "monitoring");
    for (final JsonNode variable : modelmonContainer(statefulSet).path("env")) {
      final String name = variable.path("name").asText();
      final String value;
      if (variable.has("value")) {
        value = expand(variable.path("value").asText(), environment, name);
      } else {
        final String field = variable.at("/valueFrom/fieldRef/fieldPath").asText();
        value = downwardApi.get(field);
        assertThat(value).as("%s from the downward API field %s", name, field).isNotNull();
      }
      environment.put(name, value);
    }
    return environment;
  }

  private static String expand(
      final String value, final Map<String, String> defined, final String variable) {
    final Matcher reference = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value);
    final StringBuilder expanded = new StringBuilder();
    while (reference.find()) {
      final String replacement = defined.get(reference.group(1));
      if (replacement == null) {
        fail("%s refers to $(%s), which is not defined before it", variable, reference.group(1));
      }
      reference.appendReplacement(expanded, Matcher.quoteReplacement(replacement));
    }
    reference.appendTail(expanded);
    return expanded.toString();
  }

  private static ModelmonConfig load(final Map<String, String> environment, final String source) {
    try {
      return ConfigLoader.load(Optional.empty(), environment, Map.of());
    } catch (final ConfigException e) {
      return fail(
          "modelmon would not start with the environment of %s: %s", source, e.getMessage());
    }
  }

  private static Set<String> knownKafkaSettings() {
    final Set<String> known = new TreeSet<>(StreamsConfig.configDef().names());
    known.addAll(ConsumerConfig.configNames());
    known.addAll(ProducerConfig.configNames());
    known.addAll(AdminClientConfig.configNames());
    known.add(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG);
    return known;
  }

  /** Kafka Streams' prefixes that address one of its clients, e.g. {@code producer.acks}. */
  private static String stripClientPrefix(final String key) {
    for (final String prefix :
        List.of(
            StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX,
            StreamsConfig.CONSUMER_PREFIX,
            StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.ADMIN_CLIENT_PREFIX)) {
      if (key.startsWith(prefix)) {
        return key.substring(prefix.length());
      }
    }
    return key;
  }

  private static int imagePort() {
    final List<Integer> ports = dockerfile().exposedPorts();
    assertThat(ports).hasSize(1);
    assertThat(ports.get(0)).isEqualTo(ModelmonConfig.defaults().httpPort());
    return ports.get(0);
  }

  private static Dockerfile dockerfile() {
    return Dockerfile.read(DOCKERFILE);
  }

  private static JsonNode composeConfig;

  /**
   * docker-compose's own reading of the Compose file, defaults filled in and paths absolute; read
   * once per run.
   */
  private static synchronized JsonNode composeConfig() {
    if (composeConfig == null) {
      try {
        composeConfig = YAML.readTree(runCompose("config"));
      } catch (final IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return composeConfig;
  }

  private static String runCompose(final String... arguments) {
    final List<String> command =
        new ArrayList<>(List.of("docker-compose", "-f", COMPOSE_FILE.toString()));
    command.addAll(List.of(arguments));
    return ExternalTool.run(ROOT, "", TOOL_TIMEOUT, command.toArray(String[]::new))
        .assertSucceeded()
        .stdout();
  }

  private static JsonNode composeService(final String name) {
    final JsonNode service = composeConfig().path("services").path(name);
    assertThat(service.isObject()).as("compose service %s", name).isTrue();
    return service;
  }

  private static List<JsonNode> composeServices() {
    final List<JsonNode> services = new ArrayList<>();
    composeConfig().path("services").elements().forEachRemaining(services::add);
    return services;
  }

  private static Map<String, String> composeEnvironment(final JsonNode service) {
    final Map<String, String> environment = new LinkedHashMap<>(dockerfile().environment());
    service
        .path("environment")
        .fields()
        .forEachRemaining(field -> environment.put(field.getKey(), field.getValue().asText()));
    return environment;
  }

  private static void assertExist(final List<Path> paths) {
    assertThat(paths.stream().filter(path -> !Files.exists(path)).toList())
        .as("missing files")
        .isEmpty();
  }

  private static List<String> texts(final JsonNode array) {
    final List<String> texts = new ArrayList<>();
    array.forEach(element -> texts.add(element.asText()));
    return texts;
  }

  // --- fabric8: fields that the typed Kubernetes model does not know ------------------------

  /**
   * The paths of the fields in {@code doc} that its fabric8 class does not know. fabric8 keeps such
   * fields in each object's {@code additionalProperties} instead of failing, so those maps are
   * collected over the whole object tree.
   */
  private static List<String> unknownFields(final JsonNode doc) {
    final String type = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    final Class<?> model = TYPED_MODELS.get(type);
    if (model == null) {
      return fail("no typed model for %s: add its fabric8 class to TYPED_MODELS", type);
    }
    final Object typed;
    try {
      typed = STRICT_JSON.treeToValue(doc, model);
    } catch (final IOException e) {
      return fail("%s does not read as %s: %s", type, model.getSimpleName(), e.getMessage());
    }
    final List<String> unknown = new ArrayList<>();
    collectUnknownFields(typed, "", unknown);
    return unknown;
  }

  private static void collectUnknownFields(
      final Object value, final String path, final List<String> unknown) {
    if (value instanceof Map<?, ?> map) {
      map.forEach((key, element) -> collectUnknownFields(element, path + "." + key, unknown));
    } else if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        collectUnknownFields(list.get(i), path + "[" + i + "]", unknown);
      }
    } else if (value != null && value.getClass().getName().startsWith("io.fabric8.")) {
      for (Class<?> type = value.getClass(); type != Object.class; type = type.getSuperclass()) {
        for (final Field field : type.getDeclaredFields()) {
          if (Modifier.isStatic(field.getModifiers())) {
            continue;
          }
          final Object fieldValue = read(field, value);
          if (field.getName().equals("additionalProperties") && fieldValue instanceof Map<?, ?> m) {
            m.keySet().forEach(key -> unknown.add(path + "." + key));
          } else {
            collectUnknownFields(fieldValue, path + "." + field.getName(), unknown);
          }
        }
      }
    }
  }

  private static Object read(final Field field, final Object owner) {
    try {
      field.setAccessible(true);
      return field.get(owner);
    } catch (final IllegalAccessException e) {
      throw new AssertionError(e);
    }
  }

  // --- the node validator (src/test/manifest-validator) --------------------------------------

  /**
   * Runs {@code validate.mjs} on {@code request}, after installing its locked npm dependencies into
   * target/ once.
   */
  private static JsonNode validate(final ObjectNode request) {
    installValidator();
    final ExternalTool.Result result =
        ExternalTool.run(VALIDATOR, request.toString(), TOOL_TIMEOUT, "node", "validate.mjs")
            .assertSucceeded();
    try {
      return JSON.readTree(result.stdout());
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized void installValidator() {
    try {
      Files.createDirectories(VALIDATOR);
      for (final String file : List.of("package.json", "validate.mjs")) {
        Files.copy(
            VALIDATOR_SOURCES.resolve(file),
            VALIDATOR.resolve(file),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      final String lock = Files.readString(VALIDATOR_SOURCES.resolve("package-lock.json"));
      final Path installed = VALIDATOR.resolve("node_modules/.modelmon-installed-lock.json");
      if (Files.exists(installed) && Files.readString(installed).equals(lock)) {
        return;
      }
      Files.writeString(VALIDATOR.resolve("package-lock.json"), lock);
      ExternalTool.run(
              VALIDATOR,
              "",
              TOOL_TIMEOUT,
              "npm",
              "ci",
              "--no-audit",
              "--no-fund",
              "--loglevel=error")
          .assertSucceeded();
      Files.writeString(installed, lock);
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
