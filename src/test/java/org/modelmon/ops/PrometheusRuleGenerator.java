package org.modelmon.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates the Kubernetes copies of the rules and the dashboard from their one source each: the
 * {@code PrometheusRule} (deploy/kubernetes/prometheusrule.yaml) from
 * deploy/prometheus/modelmon-rules.yml, and deploy/kubernetes/dashboards/modelmon.json (which
 * Kustomize may read, unlike a file outside deploy/kubernetes) from grafana/dashboards. Given
 * {@code --runbook-base URL}, it first points every alert's {@code runbook_url} at that runbook,
 * in the rules and in their unit tests. Run through {@code bin/generate-prometheusrule}; {@link
 * PrometheusRuleGeneratorTest} fails while a committed copy is stale.
 */
public final class PrometheusRuleGenerator {

  /** The rules, in Prometheus' rule-file format. */
  public static final Path RULES = Path.of("deploy/prometheus/modelmon-rules.yml");

  /** The generated Prometheus Operator resource. */
  public static final Path PROMETHEUS_RULE = Path.of("deploy/kubernetes/prometheusrule.yaml");

  /** The promtool unit tests of the rules, which expect the rules' runbook URLs. */
  public static final Path RULE_TESTS = Path.of("deploy/prometheus/modelmon-rules.test.yml");

  /** The Grafana dashboard. */
  public static final Path DASHBOARD = Path.of("grafana/dashboards/modelmon.json");

  /** Its copy for Kustomize's configMapGenerator (deploy/kubernetes/kustomization.yaml). */
  public static final Path KUBERNETES_DASHBOARD =
      Path.of("deploy/kubernetes/dashboards/modelmon.json");

  /** Where the runbook is published unless {@code --runbook-base} says otherwise. */
  public static final String DEFAULT_RUNBOOK_BASE =
      "https://github.com/modelmon/modelmon/blob/main/docs/runbook.md";

  private static final Pattern RUNBOOK_URL =
      Pattern.compile("(?m)^\\s*runbook_url:\\s*['\"]?([^#\\s'\"]*)#");

  static final String HEADER =
      "# Generated from deploy/prometheus/modelmon-rules.yml by bin/generate-prometheusrule:\n"
          + "# do not edit. Comments and explanations are in the rules file and docs/runbook.md.\n"
          + "# The labels the Prometheus Operator needs to find it: see kustomization.yaml.\n";

  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .disable(YAMLGenerator.Feature.SPLIT_LINES)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
              .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
              .build());

  private PrometheusRuleGenerator() {}

  /** Reads a YAML file as a tree, keeping the order of keys. */
  public static JsonNode readYaml(final Path file) throws IOException {
    return YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
  }

  /** The PrometheusRule, as the text of the file, for the rule groups of {@code rulesFile}. */
  public static String generate(final Path rulesFile) throws IOException {
    final JsonNode rules = readYaml(rulesFile);
    final JsonNode groups = rules.get("groups");
    if (groups == null || !groups.isArray() || groups.isEmpty()) {
      throw new IllegalArgumentException(rulesFile + " has no rule groups");
    }
    final ObjectNode resource = YAML.createObjectNode();
    resource.put("apiVersion", "monitoring.coreos.com/v1");
    resource.put("kind", "PrometheusRule");
    final ObjectNode metadata = resource.putObject("metadata");
    metadata.put("name", "modelmon");
    final ObjectNode labels = metadata.putObject("labels");
    labels.put("app.kubernetes.io/name", "modelmon");
    labels.put("app.kubernetes.io/component", "monitoring");
    resource.putObject("spec").set("groups", groups.deepCopy());
    return HEADER + YAML.writeValueAsString(resource);
  }

  /**
   * The one base URL that every {@code runbook_url} of {@code text} (a rules or rule-test file)
   * starts with, before the {@code #anchor}.
   *
   * @throws IllegalArgumentException when there is none or more than one
   */
  public static String runbookBase(final String text) {
    final Set<String> bases = new TreeSet<>();
    final Matcher url = RUNBOOK_URL.matcher(text);
    while (url.find()) {
      bases.add(url.group(1));
    }
    if (bases.size() != 1) {
      throw new IllegalArgumentException("not one runbook base but " + bases);
    }
    return bases.iterator().next();
  }

  /** {@code text} with the runbook base of its runbook URLs (and of its comments) replaced. */
  public static String withRunbookBase(final String text, final String base) {
    final URI uri = URI.create(base);
    if (!uri.isAbsolute() || !uri.getScheme().startsWith("http") || uri.getFragment() != null) {
      throw new IllegalArgumentException(
          "--runbook-base must be an absolute http(s) URL without #anchor: " + base);
    }
    return text.replace(runbookBase(text), base);
  }

  /**
   * Writes the Kubernetes copies, relative to the working directory or to the project directory
   * given as the last argument; {@code --runbook-base URL} first rewrites the runbook URLs of the
   * rules and their unit tests.
   */
  public static void main(final String[] args) throws IOException {
    String base = null;
    Path root = Path.of("");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--runbook-base") && i + 1 < args.length) {
        base = args[++i];
      } else if (args[i].startsWith("-")) {
        throw new IllegalArgumentException(
            "usage: bin/generate-prometheusrule [--runbook-base URL] [PROJECT_DIR]");
      } else {
        root = Path.of(args[i]);
      }
    }
    if (base != null) {
      for (final Path file : List.of(root.resolve(RULES), root.resolve(RULE_TESTS))) {
        Files.writeString(
            file,
            withRunbookBase(Files.readString(file, StandardCharsets.UTF_8), base),
            StandardCharsets.UTF_8);
        System.out.println("pointed the runbook URLs of " + file + " at " + base);
      }
    }
    final Path output = root.resolve(PROMETHEUS_RULE);
    Files.createDirectories(output.toAbsolutePath().getParent());
    Files.writeString(output, generate(root.resolve(RULES)), StandardCharsets.UTF_8);
    System.out.println("wrote " + output);
    final Path dashboard = root.resolve(KUBERNETES_DASHBOARD);
    Files.createDirectories(dashboard.toAbsolutePath().getParent());
    Files.copy(root.resolve(DASHBOARD), dashboard, StandardCopyOption.REPLACE_EXISTING);
    System.out.println("wrote " + dashboard);
  }
}
