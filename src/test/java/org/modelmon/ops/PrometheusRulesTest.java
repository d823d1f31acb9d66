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
 * on-call engineer can act on: a severity that Alertmanager routes, a summary, a description, an
 * absolute link to a runbook section that exists, and unit tests in which it fires and in which it
 * stays silent. Every aggregation keeps the deployment ({@code namespace}, {@code job}).
 */
class PrometheusRulesTest {

  static final Path RULE_TESTS = PrometheusRuleGenerator.RULE_TESTS;
  /**
   * Unit tests that need more than a week of history, at a coarser evaluation interval so that
   * they run in seconds; they check records and ALERTS, so carry no runbook links.
   */
  static final Path WEEKLY_RULE_TESTS =
      Path.of("deploy/prometheus/modelmon-rules.weekly.test.yml");
  static final Path RUNBOOK = Path.of("docs/runbook.md");

  /** The severities of the rules, which deploy/alertmanager routes (AlertmanagerConfigTest). */
  static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

  /** An aggregation operator and the labels of its {@code by (...)}, if any. */
  private static final Pattern AGGREGATION =
      Pattern.compile(
          "\\b(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)"
              + "\\s*(?:(by|without)\\s*\\(([^)]*)\\))?\\s*\\(");
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
    final Promtool.Result result =
        Promtool.run("test", "rules", RULE_TESTS.toString(), WEEKLY_RULE_TESTS.toString());

    assertThat(result.exitCode())
        .as("promtool test rules %s %s:%n%s", RULE_TESTS, WEEKLY_RULE_TESTS, result.output())
        .isZero();
  }

  @Test
  void shouldGiveEveryAlertASeverityAnnotationsAndARunbookSection() throws Exception {
    final Set<String> anchors = runbookAnchors();
    final String base =
        PrometheusRuleGenerator.runbookBase(
            Files.readString(PrometheusRuleGenerator.RULES, StandardCharsets.UTF_8));
    assertThat(base).as("the runbook base of every alert").matches("https?://[^#]+");
    final List<String> problems = new ArrayList<>();
    for (final Alert alert : alerts()) {
      final String name = alert.name();
      final JsonNode rule = alert.rule();
      final String severity = alert.severity();
      if (!SEVERITIES.contains(severity)) {
        problems.add(name + ": severity '" + severity + "' is not one of " + SEVERITIES);
      }
      for (final String annotation : List.of("summary", "description", "runbook_url")) {
        if (rule.path("annotations").path(annotation).asText().isBlank()) {
          problems.add(name + ": no " + annotation + " annotation");
        }
      }
      final String expectedUrl = base + "#" + slug(name);
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
          for (final JsonNode alert : alertTest.path("exp_alerts")) {
            firing.add(name + " " + alert.path("exp_labels").path("severity").asText());
          }
        }
      }
    }

    assertThat(firing)
        .as("alerts (name and severity) with a unit test in which they fire")
        .containsAll(alerts().stream().map(a -> a.name() + " " + a.severity()).toList());
    assertThat(silent)
        .as("alerts with a unit test in which they do not")
        .containsAll(alerts().stream().map(Alert::name).toList());
  }

  @Test
  void shouldKeepNamespaceAndJobInEveryAggregation() throws Exception {
    final List<String> problems = new ArrayList<>();
    for (final PromQlReferencesTest.Expression expression : PromQlReferencesTest.allExpressions()) {
      problems.addAll(aggregationsWithoutDeployment(expression));
    }

    assertThat(problems)
        .as("aggregations that would add up two deployments scraped by one Prometheus")
        .isEmpty();
  }

  @Test
  void shouldFindAnAggregationThatDropsTheDeployment() {
    // Guards the check above.
    final PromQlReferencesTest.Expression expression =
        new PromQlReferencesTest.Expression(
            "example",
            "sum by (namespace, job, model) (rate(a_total[5m])) / sum(rate(b_total[5m]))"
                + " + max by (job, topic) (c) + count without (instance) (d)"
                + " + max by (model) (modelmon:kl_divergence_nats:threshold)");

    assertThat(aggregationsWithoutDeployment(expression))
        .containsExactly("example: sum(", "example: max by (job, topic) (");
  }

  /**
   * The aggregations of {@code expression} that drop {@code namespace} or {@code job}: those
   * without {@code by}, or whose {@code by} lacks either. Aggregations over the threshold records
   * ({@code modelmon:*}, which are per model for every deployment) are exempt, as is {@code
   * without}, which keeps both.
   */
  static List<String> aggregationsWithoutDeployment(
      final PromQlReferencesTest.Expression expression) {
    final List<String> problems = new ArrayList<>();
    final String promQl = expression.promQl();
    final Matcher aggregation = AGGREGATION.matcher(promQl);
    while (aggregation.find()) {
      if ("without".equals(aggregation.group(2))
          || promQl.startsWith("modelmon:", aggregation.end())) {
        continue;
      }
      final Set<String> labels = new TreeSet<>();
      if (aggregation.group(3) != null) {
        for (final String label : aggregation.group(3).split(",")) {
          labels.add(label.strip());
        }
      }
      if (!labels.containsAll(Set.of("namespace", "job"))) {
        problems.add(expression.source() + ": " + aggregation.group());
      }
    }
    return problems;
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
    for (final Path tests : List.of(RULE_TESTS, WEEKLY_RULE_TESTS)) {
      final List<String> order = new ArrayList<>();
      PrometheusRuleGenerator.readYaml(tests)
          .path("group_eval_order")
          .forEach(group -> order.add(group.asText()));

      assertThat(order).as("group_eval_order of %s", tests).containsExactlyElementsOf(groups);
    }
  }

  /** One alerting rule: an alert may have a rule per severity, under one name. */
  record Alert(String name, String severity, JsonNode rule) {}

  /** The alerting rules of the rules file. */
  static List<Alert> alerts() throws Exception {
    final Map<String, Alert> alerts = new LinkedHashMap<>();
    for (final JsonNode group : PrometheusRuleGenerator.readYaml(PrometheusRuleGenerator.RULES)
        .path("groups")) {
      for (final JsonNode rule : group.path("rules")) {
        if (rule.hasNonNull("alert")) {
          final Alert alert =
              new Alert(
                  rule.get("alert").asText(),
                  rule.path("labels").path("severity").asText(),
                  rule);
          assertThat(alerts.put(alert.name() + " " + alert.severity(), alert))
              .as("alert %s with severity %s defined twice", alert.name(), alert.severity())
              .isNull();
        }
      }
    }
    assertThat(alerts).isNotEmpty();
    return List.copyOf(alerts.values());
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
