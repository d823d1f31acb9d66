package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.DemoEvent;
import org.modelmon.demo.DemoModels;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.demo.SyntheticModel;
import org.modelmon.demo.TrafficGenerator;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.OpenMetricsBackfill;
import org.modelmon.testing.PrometheusServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * modelmon, a real Prometheus server and the shipped rules and dashboard, end to end: the demo's
 * synthetic traffic (DemoModels: two stable fraud versions and digits v1, which drifts) goes
 * through an in-process modelmon, which a Prometheus child process scrapes every second and
 * evaluates deploy/prometheus/modelmon-rules.yml on, unchanged. ModelCrossEntropyRising must go
 * pending for the drifting model and for no other, and every query of the Grafana dashboard must
 * return data.
 *
 * <p>ModelCrossEntropyRising compares today's log loss with the model's 1d mean of a day ago, so
 * Prometheus needs two days of history before the test starts. It is backfilled into the TSDB
 * before the server starts, in two steps:
 *
 * <ol>
 *   <li>The raw counters modelmon_predictions_total and modelmon_log_loss_nats_total of every
 *       (model, version), labelled exactly as the live scrape labels them (job, instance), at
 *       1-minute resolution for 2 days and 30 minutes, at each model's pre-drift mean log loss
 *       (measured on the demo's own generator), ending 2 minutes before the test: `promtool tsdb
 *       create-blocks-from openmetrics`. Live modelmon's counters start again from 0, a counter
 *       reset that rate() handles; the gap keeps the two apart.
 *   <li>The recorded baseline (the group modelmon-baseline of the shipped rules), which Prometheus
 *       evaluates only live, over [now − 1d − 10m, now − 1d + 10m]: `promtool tsdb
 *       create-blocks-from rules` against a Prometheus serving the backfilled counters, then a
 *       restart so that the server loads the new blocks. This evaluates the shipped expressions
 *       themselves, at the group's own 1m interval, over history — what an operator does when
 *       adding these rules to a Prometheus that already holds modelmon's counters — rather than
 *       writing the recorded series by hand, which would test nothing of the baseline rules.
 * </ol>
 *
 * <p>The history runs at 6 events per minute and model: low, so that the live traffic (about 10
 * events per second and model) dominates the 1h mean within about half a minute of the drift and
 * so that only live traffic meets the alert's ≥ 100 predictions in 5m.
 */
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class PrometheusEndToEndIT {

  private static final Path RULES = Path.of("deploy/prometheus/modelmon-rules.yml");
  private static final Path DASHBOARD = Path.of("grafana/dashboards/modelmon.json");
  private static final String ALERT = "ModelCrossEntropyRising";
  private static final String BASELINE_GROUP = "modelmon-baseline";

  /** Live events per second over all demo models: 9 to 12 per (model, version). */
  private static final double LIVE_RATE = 30;
  /** Some invalid events, so that the dashboard's invalid-event rate has data; under 5%. */
  private static final double INVALID_RATE = 0.02;
  private static final long SEED = 20261128;

  private static final int HISTORY_EVENTS_PER_MINUTE = 6;
  private static final Duration HISTORY_LENGTH = Duration.ofDays(2).plusMinutes(30);
  private static final Duration HISTORY_GAP = Duration.ofMinutes(2);
  /** How far around "now − 1d" the baseline is backfilled: more than the test runs. */
  private static final Duration BASELINE_MARGIN = Duration.ofMinutes(10);

  /** Events sent a minute old: late for the 10s windows, so the late-event rate has data. */
  private static final int LATE_EVENTS = 20;

  private static final Duration WAIT = Duration.ofSeconds(150);

  /** The Grafana window variable's value the dashboard is queried with: final within seconds. */
  private static final String WINDOW = "10s";

  /**
   * Dashboard queries allowed to return nothing here, and why. Every other one must return data.
   */
  private static final Map<String, String> NO_DATA_EXPECTED =
      Map.of(
          "annotation Model alerts",
          "firing model alerts only; every alert has `for:` of 5m or more, longer than this test."
              + " The same query with alertstate pending is checked to show the drifting model's "
              + ALERT,
          "annotation modelmon alerts",
          "firing pipeline alerts only: none fires in a healthy setup within minutes");

  private static final Logger LOG = LoggerFactory.getLogger(PrometheusEndToEndIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final Pattern LABEL_VALUES =
      Pattern.compile("^\\s*label_values\\s*\\((.*),\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)\\s*$",
          Pattern.DOTALL);
  // ${name}, ${name:format}, $name and the deprecated [[name]]
  private static final Pattern GRAFANA_VARIABLE =
      Pattern.compile(
          "\\$\\{([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?}|\\$([A-Za-z_][A-Za-z0-9_]*)"
              + "|\\[\\[([A-Za-z0-9_]+)]]");

  /** A (model, version), the labels of modelmon's per-model series. */
  record ModelVersion(String model, String version) {
    static ModelVersion of(final SyntheticModel model) {
      return new ModelVersion(model.name(), model.version());
    }

    String selector() {
      return "{model=\"" + model + "\", version=\"" + version + "\"}";
    }

    boolean labels(final JsonNode metric) {
      return model.equals(metric.path("model").asText())
          && version.equals(metric.path("version").asText());
    }
  }

  /** One PromQL query of the dashboard, with where it is. */
  record DashboardQuery(String source, String expr) {}

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;
  private LiveTraffic traffic;
  private PrometheusServer prometheus;

  PrometheusEndToEndIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (traffic != null) {
        traffic.close();
      }
    } finally {
      try {
        if (prometheus != null) {
          prometheus.close();
        }
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
  }

  @Test
  void shouldRaiseCrossEntropyRisingForTheDriftingModelOnlyAndFillEveryDashboardQuery()
      throws Exception {
    final List<SyntheticModel> models = DemoModels.defaults();
    final List<SyntheticModel> driftingModels = models.stream().filter(SyntheticModel::drifts)
        .toList();
    assertThat(driftingModels).as("the demo's drifting models").hasSize(1);
    final ModelVersion drifting = ModelVersion.of(driftingModels.get(0));
    final List<ModelVersion> stable =
        models.stream().filter(m -> !m.drifts()).map(ModelVersion::of).toList();
    final Map<ModelVersion, Double> baseline = meanLogLoss(models, false);
    final double driftedLogLoss = meanLogLoss(models, true).get(drifting);
    assertThat(driftedLogLoss)
        .as("mean log loss of %s after the drift, against its baseline %s: must clear the rise"
            + " factor (1.5) with room to spare", drifting, baseline.get(drifting))
        .isGreaterThan(2 * baseline.get(drifting));

    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                // The alerts read window="1h"; the 10s windows are final within seconds.
                "modelmon.windows", "10s,1m,1h",
                "modelmon.window.grace", "2s",
                "modelmon.window.idle.close", "5s"));
    cluster.createTopics(1);
    for (final Map.Entry<String, byte[]> reference : DemoModels.references(models).entrySet()) {
      cluster.publishReference(
          reference.getKey(), new String(reference.getValue(), StandardCharsets.UTF_8));
    }
    final ModelmonApplication modelmon = cluster.startInstance();
    final String instance = "127.0.0.1:" + modelmon.httpPort();
    traffic = new LiveTraffic(cluster.producer(), cluster.topic("predictions"), models);

    // History, then the server that scrapes modelmon and evaluates the shipped rules.
    final Instant now = Instant.now();
    prometheus = PrometheusServer.create();
    prometheus.importOpenMetrics(history(models, baseline, instance, now));
    final Instant dayAgo = now.minus(Duration.ofDays(1));
    prometheus.importRecordingRules(
        baselineRules(prometheus.directory().resolve("baseline-rules.yml")),
        dayAgo.minus(BASELINE_MARGIN),
        dayAgo.plus(BASELINE_MARGIN));
    final Path rules = Files.copy(RULES, prometheus.directory().resolve("modelmon-rules.yml"));
    final Instant prometheusStart = Instant.now();
    prometheus.start(config(modelmon.httpPort(), rules));
    LOG.atInfo().addKeyValue("baseline", baseline).addKeyValue("drifted", driftedLogLoss)
        .addKeyValue("backfillSeconds", Duration.between(now, prometheusStart).toMillis() / 1e3)
        .addKeyValue("url", prometheus.url()).log("Prometheus started on two days of history");

    // Before the drift: every model has its day-old baseline and enough live traffic for the
    // alert to be evaluated for real.
    final AtomicReference<String> missingInputs = new AtomicReference<>();
    await("the baseline, rise threshold and 5m count of every model", () -> {
      final List<String> missing = new ArrayList<>();
      for (final SyntheticModel model : models) {
        final ModelVersion key = ModelVersion.of(model);
        if (value("model_version:modelmon_log_loss_nats:rise_threshold" + key.selector())
            .isEmpty()) {
          missing.add(key + ": no rise_threshold");
        }
        final OptionalDouble count =
            value("model_version:modelmon_predictions:increase5m" + key.selector());
        if (count.isEmpty() || count.getAsDouble() < 100) {
          missing.add(key + ": increase5m " + count);
        }
      }
      missingInputs.set(String.join("; ", missing));
      return missing.isEmpty() ? missing : null;
    }, missingInputs::get);
    for (final SyntheticModel model : models) {
      final ModelVersion key = ModelVersion.of(model);
      final double riseFactor =
          value("model_version:modelmon_log_loss_nats:rise_factor" + key.selector()).orElseThrow();
      assertThat(value("model_version:modelmon_log_loss_nats:mean1d" + key.selector()
              + " offset 1d").orElseThrow())
          .as("the backfilled 1d mean of a day ago of %s", key)
          .isCloseTo(baseline.get(key), within(1e-6 * baseline.get(key)));
      assertThat(value("model_version:modelmon_log_loss_nats:rise_threshold" + key.selector())
              .orElseThrow())
          .as("rise threshold of %s", key)
          .isCloseTo(riseFactor * baseline.get(key), within(1e-6 * baseline.get(key)));
    }
    // Let the alert be evaluated on all of that for a while before the drift.
    awaitEvaluationAfter("modelmon-model-alerts", Instant.now().plusSeconds(5));
    sendLateEvents(driftingModels.get(0));

    final Instant driftStart = Instant.now();
    traffic.drift();
    LOG.atInfo().addKeyValue("afterStart", Duration.between(prometheusStart, driftStart))
        .log("Baseline in place, alert evaluated on stable traffic: drift");
    final JsonNode alert =
        await(
            ALERT + " pending or firing for " + drifting,
            () -> {
              for (final JsonNode active : prometheus.alerts()) {
                if (ALERT.equals(active.path("labels").path("alertname").asText())
                    && drifting.labels(active.path("labels"))) {
                  return active;
                }
              }
              return null;
            },
            () -> diagnostics(drifting));
    assertThat(alert.path("state").asText()).isIn("pending", "firing");
    LOG.atInfo().addKeyValue("afterDrift", Duration.between(driftStart, Instant.now()))
        .addKeyValue("alert", alert).log(ALERT + " active for the drifting model");
    traffic.assertHealthy();

    // Over the whole live run: never for a stable model, and for the drifting one only after the
    // drift.
    final JsonNode history =
        prometheus.queryRange(
            "ALERTS{alertname=\"" + ALERT + "\"}", prometheusStart, Instant.now(),
            Duration.ofSeconds(1));
    for (final JsonNode series : history.path("result")) {
      final JsonNode metric = series.path("metric");
      assertThat(stable.stream().noneMatch(model -> model.labels(metric)))
          .as("%s for a stable model: %s", ALERT, series)
          .isTrue();
      if (drifting.labels(metric)) {
        final double first = series.path("values").get(0).get(0).asDouble();
        assertThat(first)
            .as("first time %s was active for %s (drift at %s)", ALERT, drifting, driftStart)
            .isGreaterThanOrEqualTo(driftStart.toEpochMilli() / 1000.0);
      }
    }

    checkDashboard(drifting);
  }

  /** Every query of the dashboard, as Grafana would send it for the drifting model. */
  private void checkDashboard(final ModelVersion model) throws Exception {
    final JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    final Map<String, String> variables = new LinkedHashMap<>();
    variables.put("model", model.model());
    variables.put("version", model.version());
    variables.put("window", WINDOW);
    // Grafana's own: scraped every second, a 24h dashboard.
    variables.put("__rate_interval", "1m");
    variables.put("__interval", "1m");
    variables.put("__range", "24h");

    // The template variables list the values used.
    for (final JsonNode variable : dashboard.path("templating").path("list")) {
      if (!"query".equals(variable.path("type").asText())) {
        continue;
      }
      final String name = variable.path("name").asText();
      final JsonNode query = variable.path("query");
      final String text = query.isObject() ? query.path("query").asText() : query.asText();
      final Matcher labelValues = LABEL_VALUES.matcher(text);
      assertThat(labelValues.matches()).as("variable %s is label_values(...): %s", name, text)
          .isTrue();
      final String expr = substitute(labelValues.group(1), variables);
      await("variable " + name + " lists " + variables.get(name), () -> {
        final Set<String> values = new TreeSet<>();
        for (final JsonNode series : prometheus.query(expr).path("result")) {
          values.add(series.path("metric").path(labelValues.group(2)).asText());
        }
        return values.contains(variables.get(name)) ? values : null;
      }, () -> expr);
    }

    final List<DashboardQuery> queries = new ArrayList<>();
    panelQueries(dashboard.path("panels"), variables, queries);
    for (final JsonNode annotation : dashboard.path("annotations").path("list")) {
      if (annotation.hasNonNull("expr")) {
        queries.add(
            new DashboardQuery(
                "annotation " + annotation.path("name").asText(),
                substitute(annotation.get("expr").asText(), variables)));
      }
    }
    assertThat(queries).extracting(DashboardQuery::source)
        .as("queries of the dashboard")
        .containsAll(NO_DATA_EXPECTED.keySet())
        .hasSizeGreaterThan(20);

    final AtomicReference<List<String>> empty = new AtomicReference<>();
    await("every dashboard query returns data, except " + NO_DATA_EXPECTED.keySet(), () -> {
      final List<String> noData = new ArrayList<>();
      for (final DashboardQuery query : queries) {
        final JsonNode result = prometheus.query(query.expr()).path("result");
        if (result.isEmpty() && !NO_DATA_EXPECTED.containsKey(query.source())) {
          noData.add(query.source() + ": " + query.expr());
        }
      }
      empty.set(noData);
      return noData.isEmpty() ? queries : null;
    }, () -> "no data:\n  " + String.join("\n  ", empty.get()));

    LOG.atInfo().addKeyValue("queries", queries.size())
        .addKeyValue("noDataExpected", NO_DATA_EXPECTED.keySet())
        .log("Every dashboard query returns data");

    // The model alerts annotation, for pending alerts: its labels match the alert's.
    final String pending =
        queries.stream().filter(q -> q.source().equals("annotation Model alerts")).findFirst()
            .orElseThrow().expr().replace("alertstate=\"firing\"", "alertstate=\"pending\"");
    assertThat(pending).contains("alertstate=\"pending\"");
    assertThat(prometheus.query(pending).path("result"))
        .as(pending)
        .anyMatch(series -> ALERT.equals(series.path("metric").path("alertname").asText()));
  }

  private static void panelQueries(
      final JsonNode panels, final Map<String, String> variables, final List<DashboardQuery> out) {
    for (final JsonNode panel : panels) {
      for (final JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          out.add(
              new DashboardQuery(
                  "panel \"" + panel.path("title").asText() + "\" query "
                      + target.path("refId").asText(),
                  substitute(target.get("expr").asText(), variables)));
        }
      }
      panelQueries(panel.path("panels"), variables, out); // panels of a collapsed row
    }
  }

  /** {@code query} with Grafana's variables replaced; an unknown one fails the test. */
  private static String substitute(final String query, final Map<String, String> variables) {
    final Matcher matcher = GRAFANA_VARIABLE.matcher(query);
    final StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      final String name =
          matcher.group(1) != null ? matcher.group(1)
              : matcher.group(2) != null ? matcher.group(2) : matcher.group(3);
      final String value = variables.get(name);
      if (value == null) {
        fail("unknown Grafana variable $%s in %s", name, query);
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return matcher.appendTail(out).toString();
  }

  /**
   * Each (model, version)'s mean log loss on the demo generator's traffic, before or after the
   * drift: what modelmon will measure live, within sampling noise.
   */
  private static Map<ModelVersion, Double> meanLogLoss(
      final List<SyntheticModel> models, final boolean drifted) throws IOException {
    final TrafficGenerator generator = new TrafficGenerator(models, 0, SEED + 1);
    final Map<ModelVersion, double[]> sums = new LinkedHashMap<>();
    for (int i = 0; i < 60_000; i++) {
      final DemoEvent event = generator.next(0, drifted);
      final JsonNode json = JSON.readTree(event.value());
      final int label = json.path("label").asInt();
      final double q;
      if (json.has("score")) {
        final double score = json.get("score").asDouble();
        q = label == 1 ? score : 1 - score;
      } else {
        q = json.path("probabilities").get(label).asDouble();
      }
      final double[] sum = sums.computeIfAbsent(ModelVersion.of(event.model()), k -> new double[2]);
      sum[0] += -Math.log(Math.max(q, 1e-15));
      sum[1]++;
    }
    final Map<ModelVersion, Double> means = new LinkedHashMap<>();
    sums.forEach((key, sum) -> means.put(key, sum[0] / sum[1]));
    assertThat(means.keySet()).hasSize(models.size());
    return means;
  }

  /**
   * Two days and a half hour of the counters of every (model, version), one sample a minute,
   * ending {@link #HISTORY_GAP} (rounded down to the minute) before {@code now}.
   */
  private static OpenMetricsBackfill history(
      final List<SyntheticModel> models,
      final Map<ModelVersion, Double> meanLogLoss,
      final String instance,
      final Instant now) {
    final OpenMetricsBackfill history = new OpenMetricsBackfill();
    final Instant end = now.minus(HISTORY_GAP).truncatedTo(ChronoUnit.MINUTES);
    final Instant start = end.minus(HISTORY_LENGTH);
    for (final SyntheticModel model : models) {
      final ModelVersion key = ModelVersion.of(model);
      final Map<String, String> labels =
          Map.of("model", key.model(), "version", key.version(), "job", "modelmon",
              "instance", instance);
      for (long minute = 0; minute <= HISTORY_LENGTH.toMinutes(); minute++) {
        final Instant time = start.plus(Duration.ofMinutes(minute));
        final double predictions = (double) HISTORY_EVENTS_PER_MINUTE * minute;
        history.counter("modelmon_predictions_total", labels, time, predictions);
        history.counter(
            "modelmon_log_loss_nats_total", labels, time, predictions * meanLogLoss.get(key));
      }
    }
    return history;
  }

  /** The group modelmon-baseline of the shipped rules, alone and unchanged, in {@code file}. */
  private static Path baselineRules(final Path file) throws IOException {
    final JsonNode rules = YAML.readTree(RULES.toFile());
    final ObjectNode baseline = YAML.createObjectNode();
    final ArrayNode groups = baseline.putArray("groups");
    for (final JsonNode group : rules.path("groups")) {
      if (BASELINE_GROUP.equals(group.path("name").asText())) {
        groups.add(group);
      }
    }
    assertThat(groups).as("group %s of %s", BASELINE_GROUP, RULES).hasSize(1);
    YAML.writeValue(file.toFile(), baseline);
    return file;
  }

  /**
   * Scrape and evaluate every second (the shipped groups without an interval of their own follow
   * evaluation_interval; modelmon-baseline keeps its 1m), job "modelmon" as the rules assume.
   */
  private static String config(final int modelmonPort, final Path rules) {
    return String.join(
        "\n",
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "  evaluation_interval: 1s",
        "rule_files:",
        "  - '" + rules + "'",
        "scrape_configs:",
        "  - job_name: modelmon",
        "    metrics_path: /metrics",
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + modelmonPort + "']",
        "");
  }

  /** Events of {@code model} a minute old, past the 10s windows' grace: counted as late. */
  private void sendLateEvents(final SyntheticModel model) {
    final TrafficGenerator generator = new TrafficGenerator(List.of(model), 0, SEED + 2);
    try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
      final long time = System.currentTimeMillis() - 60_000;
      for (int i = 0; i < LATE_EVENTS; i++) {
        final DemoEvent event = generator.next(time, false);
        producer.send(new ProducerRecord<>(cluster.topic("predictions"), event.key(),
            event.value()));
      }
    }
  }

  /** Waits until the rule group {@code group} has been evaluated after {@code time}. */
  private void awaitEvaluationAfter(final String group, final Instant time) throws Exception {
    await("rule group " + group + " evaluated after " + time, () -> {
      for (final JsonNode g : prometheus.rules().path("groups")) {
        if (group.equals(g.path("name").asText())) {
          final Instant last = Instant.parse(g.path("lastEvaluation").asText());
          return last.isAfter(time) ? last : null;
        }
      }
      return fail("no rule group %s in %s", group, RULES);
    });
  }

  /** The value of the one series {@code promQl} returns, or empty if it returns none. */
  private OptionalDouble value(final String promQl) throws IOException, InterruptedException {
    final JsonNode result = prometheus.query(promQl).path("result");
    if (result.isEmpty()) {
      return OptionalDouble.empty();
    }
    assertThat(result).as("series of %s", promQl).hasSize(1);
    return OptionalDouble.of(Double.parseDouble(result.get(0).path("value").get(1).asText()));
  }

  /** What the alert reads for {@code model}, for a failure message. */
  private String diagnostics(final ModelVersion model) throws IOException, InterruptedException {
    final StringBuilder text = new StringBuilder();
    for (final String name : List.of(
        "model_version:modelmon_log_loss_nats:mean5m",
        "model_version:modelmon_log_loss_nats:mean1h",
        "model_version:modelmon_log_loss_nats:rise_threshold",
        "model_version:modelmon_predictions:increase5m")) {
      text.append(name).append(" = ").append(value(name + model.selector())).append('\n');
    }
    return text.append("alerts: ").append(prometheus.alerts()).toString();
  }

  private <T> T await(final String what, final Callable<T> condition) throws Exception {
    return await(what, condition, () -> "");
  }

  /**
   * Polls {@code condition} until it returns non-null, failing after {@link #WAIT} with {@code
   * diagnostics} and the server's log.
   */
  private <T> T await(
      final String what, final Callable<T> condition, final Callable<?> diagnostics)
      throws Exception {
    final long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      final T result = condition.call();
      if (result != null) {
        return result;
      }
      if (System.nanoTime() > deadline) {
        return fail("%s: not within %s%n%s%nPrometheus log:%n%s", what, WAIT,
            diagnostics.call(), prometheus.tail());
      }
      traffic.assertHealthy();
      Thread.sleep(500);
    }
  }

  /**
   * The demo generator's events at {@link #LIVE_RATE} on a thread of its own, with the drift
   * switched on by the test (the demo's TrafficProducer switches it after a fixed time).
   */
  private static final class LiveTraffic implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final TrafficGenerator generator;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean drifted;
    private volatile boolean stopped;

    LiveTraffic(
        final KafkaProducer<byte[], byte[]> producer,
        final String topic,
        final List<SyntheticModel> models) {
      this.producer = producer;
      this.topic = topic;
      this.generator = new TrafficGenerator(models, INVALID_RATE, SEED);
      this.thread = new Thread(this::run, "live-traffic");
      this.thread.setDaemon(true);
      this.thread.start();
    }

    void drift() {
      drifted = true;
    }

    private void run() {
      try {
        final long start = System.nanoTime();
        long sent = 0;
        while (!stopped) {
          long due = (long) ((System.nanoTime() - start) / 1e9 * LIVE_RATE);
          // After a stall (a loaded machine), do not send a burst to catch up.
          sent = Math.max(sent, due - (long) LIVE_RATE);
          while (sent < due) {
            final DemoEvent event = generator.next(System.currentTimeMillis(), drifted);
            producer.send(
                new ProducerRecord<>(topic, event.key(), event.value()),
                (metadata, e) -> {
                  if (e != null) {
                    failure.compareAndSet(null, e);
                  }
                });
            sent++;
          }
          Thread.sleep(10);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        failure.compareAndSet(null, e);
      }
    }

    void assertHealthy() {
      if (failure.get() != null) {
        throw new AssertionError("live traffic failed", failure.get());
      }
      assertThat(thread.isAlive()).as("live traffic thread").isTrue();
    }

    @Override
    public void close() throws InterruptedException {
      stopped = true;
      thread.join(10_000);
      producer.close(Duration.ofSeconds(10));
    }
  }
}
