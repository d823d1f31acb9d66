package org.modelmon.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Generates the Kubernetes {@code PrometheusRule} (deploy/kubernetes/prometheusrule.yaml) from the
 * one source of modelmon's rules, deploy/prometheus/modelmon-rules.yml, so that the two never
 * differ. Run through {@code bin/generate-prometheusrule}; {@link PrometheusRuleGeneratorTest}
 * fails while the committed file is stale.
 */
public final class PrometheusRuleGenerator {

  /** The rules, in Prometheus' rule-file format. */
  public static final Path RULES = Path.of("deploy/prometheus/modelmon-rules.yml");

  /** The generated Prometheus Operator resource. */
  public static final Path PROMETHEUS_RULE = Path.of("deploy/kubernetes/prometheusrule.yaml");

  static final String HEADER =
      "# Generated from deploy/prometheus/modelmon-rules.yml by bin/generate-prometheusrule:\n"
          + "# do not edit. Comments and explanations are in the rules file and docs/runbook.md.\n";

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
   * Writes {@link #PROMETHEUS_RULE} from {@link #RULES}, both relative to the working directory
   * or to the project directory given as the one argument.
   */
  public static void main(final String[] args) throws IOException {
    final Path root = args.length > 0 ? Path.of(args[0]) : Path.of("");
    final Path output = root.resolve(PROMETHEUS_RULE);
    Files.createDirectories(output.toAbsolutePath().getParent());
    Files.writeString(output, generate(root.resolve(RULES)), StandardCharsets.UTF_8);
    System.out.println("wrote " + output);
  }
}
