package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed Kubernetes copies are exactly what the generator makes of their sources, and
 * {@code --runbook-base} moves every runbook link, consistently in the rules and their tests.
 */
class PrometheusRuleGeneratorTest {

  @TempDir Path project;

  @Test
  void shouldMatchTheCommittedPrometheusRule() throws Exception {
    final String generated = PrometheusRuleGenerator.generate(PrometheusRuleGenerator.RULES);
    assertThat(PrometheusRuleGenerator.PROMETHEUS_RULE).exists();
    final String committed =
        Files.readString(PrometheusRuleGenerator.PROMETHEUS_RULE, StandardCharsets.UTF_8);

    assertThat(committed)
        .as(
            "%s is stale: it must be generated from %s. Run bin/generate-prometheusrule and commit"
                + " the result.",
            PrometheusRuleGenerator.PROMETHEUS_RULE, PrometheusRuleGenerator.RULES)
        .isEqualTo(generated);
  }

  @Test
  void shouldCarryTheSameRuleGroupsAsTheRulesFile() throws Exception {
    final JsonNode rules = PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULES);
    final JsonNode resource =
        PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.PROMETHEUS_RULE);

    assertThat(resource.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(resource.path("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(resource.path("metadata").path("name").asText()).isEqualTo("modelmon");
    // Read back, the YAML says the same as the rules file: no value re-typed or re-flowed.
    assertThat(resource.path("spec").path("groups"))
        .as(
            "spec.groups of %s: run bin/generate-prometheusrule",
            PrometheusRuleGenerator.PROMETHEUS_RULE)
        .isEqualTo(rules.get("groups"));
  }

  @Test
  void shouldShipTheDashboardItselfToKubernetes() throws Exception {
    assertThat(Files.readAllBytes(PrometheusRuleGenerator.KUBERNETES_DASHBOARD))
        .as(
            "%s must be a copy of %s: run bin/generate-prometheusrule and commit the result",
            PrometheusRuleGenerator.KUBERNETES_DASHBOARD, PrometheusRuleGenerator.DASHBOARD)
        .isEqualTo(Files.readAllBytes(PrometheusRuleGenerator.DASHBOARD));
  }

  @Test
  void shouldPointEveryRunbookLinkAtANewBaseInTheRulesAndTheirTests() throws Exception {
    for (final Path file :
        List.of(
            PrometheusRuleGenerator.RULES,
            PrometheusRuleGenerator.RULE_TESTS,
            PrometheusRuleGenerator.DASHBOARD)) {
      Files.createDirectories(project.resolve(file).getParent());
      Files.copy(file, project.resolve(file));
    }
    final String base = "https://git.example.com/ml/modelmon/-/blob/v2/docs/runbook.md";

    PrometheusRuleGenerator.main(new String[] {"--runbook-base", base, project.toString()});

    final String rules = Files.readString(project.resolve(PrometheusRuleGenerator.RULES));
    final String tests = Files.readString(project.resolve(PrometheusRuleGenerator.RULE_TESTS));
    final String resource =
        Files.readString(project.resolve(PrometheusRuleGenerator.PROMETHEUS_RULE));
    assertThat(PrometheusRuleGenerator.runbookBase(rules)).isEqualTo(base);
    assertThat(PrometheusRuleGenerator.runbookBase(tests)).isEqualTo(base);
    assertThat(PrometheusRuleGenerator.runbookBase(resource)).isEqualTo(base);
    assertThat(rules + tests + resource)
        .doesNotContain(PrometheusRuleGenerator.DEFAULT_RUNBOOK_BASE);
    assertThat(rules.replace(base, PrometheusRuleGenerator.DEFAULT_RUNBOOK_BASE))
        .as("nothing but the base changed")
        .isEqualTo(Files.readString(PrometheusRuleGenerator.RULES));
    // The rules' own unit tests still pass against the moved links.
    final Promtool.Result result =
        Promtool.run(
            "test", "rules", project.resolve(PrometheusRuleGenerator.RULE_TESTS).toString());
    assertThat(result.exitCode()).as(result.output()).isZero();
  }

  @Test
  void shouldRefuseARunbookBaseThatIsNotAnAbsoluteUrlWithoutAnchor() throws Exception {
    final String rules = Files.readString(PrometheusRuleGenerator.RULES);

    for (final String base :
        List.of("docs/runbook.md", "https://example.com/runbook.md#top", "file:///runbook.md")) {
      assertThatThrownBy(() -> PrometheusRuleGenerator.withRunbookBase(rules, base))
          .as(base)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
