package org.modelmon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * modelmon's Prometheus rules pass promtool's checks and unit tests, and every alert is one an
 * on-call engineer can act on: a severity, a summary, a description and a runbook section that
 * exists, and unit tests in which it fires and in which it stays silent.
 */
class PrometheusRulesTest {

  static final Path RULE_TESTS = Path.of("deploy/prometheus/modelmon-rules.test.yml");
  static final Path RUNBOOK = Path.of("docs/runbook.md");

  private static final Set<String> SEVERITIES = Set.of("page", "ticket", "warning");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}\\s+(.+?)\\s*#*\\s*$");

  @Test
  void shouldPassPromtoolCheckRules() throws Exception {
    final Promtool.Result result =
        Promtool.run("check", "rules", PrometheusRuleGenerator.RULES.toString());

    assertThat(result.exitCode())
        .as("promtool check rules %s:%n%s", PrometheusRuleGenerator.RULES, result.output())
        .isZero();
  }

  @Test
  void shouldPassPromtoolUnitTests() throws Exception {
    final Promtool.Result result = Promtool.run("test", "rules", RULE_TESTS.toString());

    assertThat(result.exitCode())
        .as("promtool test rules %s:%n%s", RULE_TESTS, result.output())
        .isZero();
  }

  @Test
  void shouldGiveEveryAlertASeverityAnnotationsAndARunbookSection() throws Exception {
    final Set<String> anchors = runbookAnchors();
    final List<String> problems = new ArrayList<>();
    for (final Map.Entry<String, JsonNode> alert : alerts().entrySet()) {
      final String name = alert.getKey();
      final JsonNode rule = alert.getValue();
      final String severity = rule.path("labels").path("severity").asText();
      if (!SEVERITIES.contains(severity)) {
        problems.add(name + ": severity '" + severity + "' is not one of " + SEVERITIES);
      }
      for (final String annotation : List.of("summary", "description", "runbook_url")) {
        if (rule.path("annotations").path(annotation).asText().isBlank()) {
          problems.add(name + ": no " + annotation + " annotation");
        }
      }
      final String expectedUrl = "docs/runbook.md#" + slug(name);
      final String url = rule.path("annotations").path("runbook_url").asText();
      if (!url.equals(expectedUrl)) {
        problems.add(name + ": runbook_url '" + url + "' is not '" + expectedUrl + "'");
      }
      if (!anchors.contains(slug(name))) {
        problems.add(name + ": " + RUNBOOK + " has no section '## " + name + "'");
      }
    }

    assertThat(problems).isEmpty();
  }

  @Test
  void shouldTestEveryAlertFiringAndNotFiring() throws Exception {
    final Set<String> firing = new TreeSet<>();
    final Set<String> silent = new TreeSet<>();
    for (final JsonNode test : PrometheusRuleGenerator.readYaml(RULE_TESTS).path("tests")) {
      for (final JsonNode alertTest : test.path("alert_rule_test")) {
        final String name = alertTest.path("alertname").asText();
        if (alertTest.path("exp_alerts").isEmpty()) {
          silent.add(name);
        } else {
          firing.add(name);
        }
      }
    }
    final Set<String> alerts = alerts().keySet();

    assertThat(firing).as("alerts with a unit test in which they fire").containsAll(alerts);
    assertThat(silent).as("alerts with a unit test in which they do not").containsAll(alerts);
  }

  @Test
  void shouldFixTheOrderOfEveryGroupInTheUnitTests() throws Exception {
    // Without it promtool evaluates groups in a random order, and an alert may read a record
    // of the same instant or of the one before: tests that pass or fail by chance.
    final List<String> groups = new ArrayList<>();
    for (final JsonNode group : PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULES)
        .path("groups")) {
      groups.add(group.path("name").asText());
    }
    final List<String> order = new ArrayList<>();
    PrometheusRuleGenerator.readYaml(RULE_TESTS)
        .path("group_eval_order")
        .forEach(group -> order.add(group.asText()));

    assertThat(order).as("group_eval_order of %s", RULE_TESTS).containsExactlyElementsOf(groups);
  }

  /** The alerting rules of the rules file by name. */
  static Map<String, JsonNode> alerts() throws Exception {
    final Map<String, JsonNode> alerts = new LinkedHashMap<>();
    for (final JsonNode group : PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULES)
        .path("groups")) {
      for (final JsonNode rule : group.path("rules")) {
        if (rule.hasNonNull("alert")) {
          assertThat(alerts.put(rule.get("alert").asText(), rule))
              .as("alert %s defined twice", rule.get("alert").asText())
              .isNull();
        }
      }
    }
    assertThat(alerts).isNotEmpty();
    return alerts;
  }

  /** The anchors GitHub makes of the runbook's headings. */
  static Set<String> runbookAnchors() throws Exception {
    final Set<String> anchors = new TreeSet<>();
    final Matcher heading = HEADING.matcher(Files.readString(RUNBOOK, StandardCharsets.UTF_8));
    while (heading.find()) {
      anchors.add(slug(heading.group(1)));
    }
    return anchors;
  }

  /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
  static String slug(final String heading) {
    return heading
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^\\p{L}\\p{N} _-]", "")
        .replace(' ', '-');
  }
}
