package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The committed PrometheusRule is exactly what the generator makes of the rules file. */
class PrometheusRuleGeneratorTest {

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
}
