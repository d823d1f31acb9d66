package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Alertmanager example and the rules agree: each severity the rules use goes where the file
 * says, and each inhibit rule can match, i.e. silences an alert that the rules' unit tests fire
 * together with its source alert.
 */
class AlertmanagerConfigTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path CONFIG = ROOT.resolve("deploy/alertmanager/alertmanager.yml");
  private static final Duration TIMEOUT = Duration.ofMinutes(1);
  private static final Pattern MATCHER =
      Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"(.*)\"\\s*$");

  /** One alert that a unit test expects to fire: its labels, alertname included. */
  record Firing(String scenario, Map<String, String> labels) {}

  @ParameterizedTest(name = "severity {0} goes to {1}")
  @CsvSource({"critical, pager", "warning, tickets", "info, null"})
  void shouldRouteEachSeverityToItsReceiver(final String severity, final String receiver) {
    final ExternalTool.Result result =
        ExternalTool.run(
                ROOT,
                "",
                TIMEOUT,
                "amtool",
                "config",
                "routes",
                "test",
                "--config.file=" + CONFIG,
                "severity=" + severity,
                "alertname=ModelmonDown",
                "namespace=ml",
                "job=modelmon")
            .assertSucceeded();

    assertThat(result.stdout().strip()).isEqualTo(receiver);
  }

  @Test
  void shouldRouteEverySeverityThatTheRulesUse() throws Exception {
    assertThat(PrometheusRulesTest.alerts())
        .extracting(PrometheusRulesTest.Alert::severity)
        .isSubsetOf(PrometheusRulesTest.SEVERITIES)
        .contains("critical", "warning", "info");
  }

  @Test
  void shouldHaveEveryInhibitRuleSilenceAnAlertThatFiresWithItsSource() throws Exception {
    final JsonNode rules = PrometheusRuleGenerator.readYaml(CONFIG).path("inhibit_rules");
    final Map<String, List<Firing>> scenarios = firingTogether();
    assertThat(rules).isNotEmpty();

    for (final JsonNode rule : rules) {
      final List<String> inhibited = new ArrayList<>();
      for (final List<Firing> firing : scenarios.values()) {
        for (final Firing source : firing) {
          for (final Firing target : firing) {
            if (source != target && inhibits(rule, source.labels(), target.labels())) {
              inhibited.add(target.scenario() + ": " + target.labels());
            }
          }
        }
      }
      assertThat(inhibited).as("alerts silenced by the inhibit rule %s", rule).isNotEmpty();
    }
  }

  @Test
  void shouldNotInhibitAcrossDeployments() throws IOException {
    final JsonNode rule = inhibitRule("severity=\"critical\"", "severity=~\"warning|info\"");
    final Map<String, String> critical =
        Map.of("alertname", "ModelmonDown", "severity", "critical", "namespace", "ml");

    assertThat(
            inhibits(
                rule,
                critical,
                Map.of(
                    "alertname", "ModelmonDown", "severity", "warning", "namespace", "ml",
                    "instance", "a")))
        .isTrue();
    assertThat(
            inhibits(
                rule,
                critical,
                Map.of(
                    "alertname", "ModelmonDown", "severity", "warning", "namespace", "ops",
                    "instance", "x")))
        .isFalse();
  }

  /**
   * Whether {@code rule} lets {@code source} silence {@code target}, as Alertmanager decides: all
   * source matchers match the source, all target matchers the target, and each {@code equal}
   * label has the same value on both (a label missing on both is equal). An alert that matches
   * both sides never silences itself; the caller passes two different alerts.
   */
  static boolean inhibits(
      final JsonNode rule, final Map<String, String> source, final Map<String, String> target) {
    if (!matchesAll(rule.path("source_matchers"), source)
        || !matchesAll(rule.path("target_matchers"), target)) {
      return false;
    }
    for (final JsonNode label : rule.path("equal")) {
      final String name = label.asText();
      if (!source.getOrDefault(name, "").equals(target.getOrDefault(name, ""))) {
        return false;
      }
    }
    return true;
  }

  private static boolean matchesAll(final JsonNode matchers, final Map<String, String> labels) {
    for (final JsonNode text : matchers) {
      final Matcher matcher = MATCHER.matcher(text.asText());
      assertThat(matcher.matches()).as("an Alertmanager matcher: %s", text).isTrue();
      final String value = labels.getOrDefault(matcher.group(1), "");
      final boolean matched =
          switch (matcher.group(2)) {
            case "=" -> value.equals(matcher.group(3));
            case "!=" -> !value.equals(matcher.group(3));
            case "=~" -> value.matches(matcher.group(3)); // anchored, as Alertmanager's
            default -> !value.matches(matcher.group(3));
          };
      if (!matched) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode inhibitRule(final String source, final String target)
      throws IOException {
    for (final JsonNode rule : PrometheusRuleGenerator.readYaml(CONFIG).path("inhibit_rules")) {
      if (rule.path("source_matchers").path(0).asText().equals(source)
          && rule.path("target_matchers").path(0).asText().equals(target)) {
        return rule;
      }
    }
    throw new AssertionError("no inhibit rule " + source + " -> " + target);
  }

  /**
   * The alerts that the rules' unit tests expect to fire at the same time, by test and
   * evaluation time: what Alertmanager would hold at once.
   */
  private static Map<String, List<Firing>> firingTogether() throws Exception {
    final Map<String, List<Firing>> scenarios = new TreeMap<>();
    for (final JsonNode test :
        PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULE_TESTS).path("tests")) {
      for (final JsonNode alertTest : test.path("alert_rule_test")) {
        final String scenario =
            test.path("name").asText() + " at " + alertTest.path("eval_time").asText();
        for (final JsonNode alert : alertTest.path("exp_alerts")) {
          final Map<String, String> labels = new LinkedHashMap<>();
          labels.put("alertname", alertTest.path("alertname").asText());
          alert
              .path("exp_labels")
              .fields()
              .forEachRemaining(label -> labels.put(label.getKey(), label.getValue().asText()));
          scenarios
              .computeIfAbsent(scenario, s -> new ArrayList<>())
              .add(new Firing(scenario, labels));
        }
      }
    }
    return scenarios;
  }
}
