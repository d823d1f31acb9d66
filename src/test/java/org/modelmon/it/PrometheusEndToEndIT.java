package org.modelmon.it;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.PriorityQueue;
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
import org.modelmon.testing.PrometheusServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * modelmon, a real Prometheus server and the shipped rules and dashboard, end to end: the demo's
 * synthetic traffic (DemoModels: two stable fraud versions and digits v1, which drifts) goes
 * through an in-process modelmon set up as the demo is (windows 10s and 1m, the drift detector on
 * the 10 s windows with a warm-up of 12), which a Prometheus child process scrapes every second and
 * evaluates deploy/prometheus/modelmon-rules.yml on, unchanged: no duration of the rules is
 * substituted. ModelLogLossDrift must fire for the drifting model within 3 minutes of its drift,
 * no model alert may fire for a stable one over the whole run, and every dashboard query must
 * return data.
 *
 * <p>Why no duration needs changing: the detector reads the smallest window, 10 s here and 1 min
 * in production, and a large drift takes its statistic to the threshold within a window or two;
 * ModelLogLossDrift's `for: 1m` is the same in both. The history-based alerts
 * (ModelCrossEntropyRising, the label and prediction drift alerts) need a day of history and
 * cannot fire here; the promtool unit tests cover them, and their thresholds are the dashboard
 * queries allowed to return nothing ({@link #NO_DATA_EXPECTED}).
 *
 * <p>The drift is switched on {@link #DRIFT_AFTER} after the traffic starts, as the demo's
 * {@code --drift-after 3m}: the 12 warm-up windows take 2 minutes, so every detector has been
 * WATCHING stable traffic for about a minute before.
 */
@ExtendWith(KafkaBrokerExtension.class)
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class PrometheusEndToEndIT {

  private static final Path RULES = Path.of("deploy/prometheus/modelmon-rules.yml");
  private static final Path DASHBOARD = Path.of("grafana/dashboards/modelmon.json");
  private static final String ALERT = "ModelLogLossDrift";
  /** The model alerts: none may fire for a stable model. */
  private static final String MODEL_ALERTS =
      "ModelLogLossDrift|ModelCrossEntropyRising|ModelLabelDriftHigh|ModelPredictionDriftHigh"
          + "|ModelNoEvents|ModelWindowsStale";

  /** As the demo's --drift-after 3m: after the detector's warm-up (12 windows of 10 s). */
  private static final Duration DRIFT_AFTER = Duration.ofMinutes(3);
  /** How soon after the drift ModelLogLossDrift must fire. */
  private static final Duration FIRE_WITHIN = Duration.ofMinutes(3);

  /** Live events per second over all demo models: 9 to 12 per (model, version). */
  private static final double LIVE_RATE = 30;
  /** Some invalid events, so that the dashboard's invalid-event rate has data; under 5%. */
  private static final double INVALID_RATE = 0.02;
  private static final long SEED = 20261128;

  /** Events sent a minute old: late for the 10s windows, so the late-event rate has data. */
  private static final int LATE_EVENTS = 20;

  private static final Duration WAIT = Duration.ofSeconds(150);

  /** The Grafana window variable's value the dashboard is queried with: final within seconds. */
  private static final String WINDOW = "10s";

  private static final String NEEDS_HISTORY =
      "compares with the model's own history (a day or a week earlier), which a run of minutes"
          + " has not got; modelmon-rules.test.yml covers it";

  private static final String INLINE_LABELS =
      "the drifting model's labels come inline: none of its labels comes later (fraud's do)";
  private static final String WAITING_PANEL =
      "panel \"Predictions waiting for their label, joined, expired, invalid labels\"";

  /**
   * Dashboard queries allowed to return nothing here, and why. Every other one must return data.
   */
  private static final Map<String, String> NO_DATA_EXPECTED =
      Map.ofEntries(
          entry("panel \"Log loss vs the same hours a day and a week earlier\" query C",
              NEEDS_HISTORY),
          entry("panel \"Log loss vs the same hours a day and a week earlier\" query D",
              NEEDS_HISTORY),
          entry("panel \"Log loss vs the same hours a day and a week earlier\" query F",
              NEEDS_HISTORY),
          entry("panel \"Label drift and prediction drift\" query C", NEEDS_HISTORY),
          entry("panel \"Label drift and prediction drift\" query D", NEEDS_HISTORY),
          entry("annotation modelmon alerts",
              "firing pipeline alerts only: none fires in a healthy setup within minutes"),
          entry("panel \"Label delay: outcome time − prediction time\" query A", INLINE_LABELS),
          entry("panel \"Label delay: outcome time − prediction time\" query B", INLINE_LABELS),
          entry("panel \"Label delay: outcome time − prediction time\" query C", INLINE_LABELS),
          entry(WAITING_PANEL + " query A", INLINE_LABELS),
          entry(WAITING_PANEL + " query B", INLINE_LABELS),
          entry(WAITING_PANEL + " query C",
              INLINE_LABELS + "; and within minutes no prediction waits past a day"));

  private static final Logger LOG = LoggerFactory.getLogger(PrometheusEndToEndIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();

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
  void shouldFireLogLossDriftForTheDriftingModelOnlyAndFillEveryDashboardQuery()
      throws Exception {
    final long testStart = System.nanoTime();
    final List<SyntheticModel> models = DemoModels.defaults();
    final List<SyntheticModel> driftingModels = models.stream().filter(SyntheticModel::drifts)
        .toList();
    assertThat(driftingModels).as("the demo's drifting models").hasSize(1);
    final ModelVersion drifting = ModelVersion.of(driftingModels.get(0));
    final List<ModelVersion> stable =
        models.stream().filter(m -> !m.drifts()).map(ModelVersion::of).toList();

    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                // The demo's windows and detector warm-up (DemoRunner).
                "modelmon.windows", "10s,1m",
                "modelmon.window.grace", "2s",
                "modelmon.window.idle.close", "5s",
                "modelmon.detector.warmup", "12"));
    cluster.createTopics(1);
    for (final Map.Entry<String, byte[]> reference : DemoModels.references(models).entrySet()) {
      cluster.publishReference(
          reference.getKey(), new String(reference.getValue(), StandardCharsets.UTF_8));
    }
    final ModelmonApplication modelmon = cluster.startInstance();
    prometheus = PrometheusServer.create();
    final Path rules = Files.copy(RULES, prometheus.directory().resolve("modelmon-rules.yml"));
    prometheus.start(config(modelmon.httpPort(), rules));
    final Instant prometheusStart = Instant.now();
    traffic = new LiveTraffic(
        cluster.producer(), cluster.topic("predictions"), cluster.topic("labels"), models);
    final Instant trafficStart = Instant.now();
    LOG.atInfo().addKeyValue("url", prometheus.url()).log("Prometheus and traffic started");

    // Every detector learns its baseline and watches stable traffic before the drift.
    final AtomicReference<String> detectors = new AtomicReference<>();
    await("every model's detector WATCHING (a baseline learnt)", () -> {
      final List<String> missing = new ArrayList<>();
      for (final SyntheticModel model : models) {
        final ModelVersion key = ModelVersion.of(model);
        if (value("max(modelmon_drift_baseline_excess_log_loss_nats" + key.selector() + ")")
            .isEmpty()) {
          missing.add(key + ": in warm-up");
        }
      }
      detectors.set(String.join("; ", missing));
      return missing.isEmpty() ? missing : null;
    }, detectors::get, DRIFT_AFTER);
    sendLateEvents(driftingModels.get(0));
    final Duration untilDrift = DRIFT_AFTER.minus(Duration.between(trafficStart, Instant.now()));
    if (!untilDrift.isNegative()) {
      Thread.sleep(untilDrift.toMillis());
    }

    final Instant driftStart = Instant.now();
    traffic.drift();
    LOG.atInfo().addKeyValue("afterTrafficStart", Duration.between(trafficStart, driftStart))
        .log("Detectors watching stable traffic: drift");
    final JsonNode alert =
        await(
            ALERT + " firing for " + drifting,
            () -> {
              for (final JsonNode active : prometheus.alerts()) {
                if (ALERT.equals(active.path("labels").path("alertname").asText())
                    && drifting.labels(active.path("labels"))
                    && "firing".equals(active.path("state").asText())) {
                  return active;
                }
              }
              return null;
            },
            () -> diagnostics(drifting),
            FIRE_WITHIN);
    final Duration afterDrift = Duration.between(driftStart, Instant.now());
    assertThat(afterDrift).as("%s firing after the drift", ALERT).isLessThan(FIRE_WITHIN);
    assertThat(alert.path("labels").path("severity").asText()).isEqualTo("critical");
    LOG.atInfo().addKeyValue("afterDrift", afterDrift).addKeyValue("alert", alert)
        .log(ALERT + " firing for the drifting model");
    traffic.assertHealthy();

    // Over the whole live run: no model alert firing for a stable model, nor ModelLogLossDrift
    // even pending, and none of them for the drifting one before its drift. (ModelNoEvents goes
    // pending for a second or two at start, before the counters have two samples: not fired.)
    final JsonNode history =
        prometheus.queryRange(
            "ALERTS{alertname=~\"" + MODEL_ALERTS + "\", alertstate=\"firing\"}"
                + " or ALERTS{alertname=\"" + ALERT + "\"}",
            prometheusStart, Instant.now(), Duration.ofSeconds(1));
    for (final JsonNode series : history.path("result")) {
      final JsonNode metric = series.path("metric");
      assertThat(stable.stream().noneMatch(model -> model.labels(metric)))
          .as("a model alert for a stable model: %s", series)
          .isTrue();
      if (drifting.labels(metric)) {
        final double first = series.path("values").get(0).get(0).asDouble();
        assertThat(first)
            .as("first time %s was active for %s (drift at %s)", metric, drifting, driftStart)
            .isGreaterThanOrEqualTo(driftStart.toEpochMilli() / 1000.0);
      }
    }

    checkDashboard(drifting);
    LOG.atInfo()
        .addKeyValue("seconds", Duration.ofNanos(System.nanoTime() - testStart).toSeconds())
        .log("End to end done");
  }

  /** Every query of the dashboard, as Grafana would send it for the drifting model. */
  private void checkDashboard(final ModelVersion model) throws Exception {
    final JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    final Map<String, String> variables = new LinkedHashMap<>();
    // All namespaces, as Grafana sends it: this Prometheus, like the Compose stack's, sets no
    // namespace label, which the All value ".*" matches.
    variables.put("namespace", ".*");
    variables.put("job", "modelmon");
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
      if (variables.get(name).equals(variable.path("allValue").asText(null))) {
        // All: the variable need not list a value, but its query must find modelmon's series.
        await("variable " + name + " finds series", () -> {
          final JsonNode result = prometheus.query(expr).path("result");
          return result.isEmpty() ? null : result;
        }, () -> expr);
        continue;
      }
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

    // The model alerts annotation shows the firing alert.
    final String annotation =
        queries.stream().filter(q -> q.source().equals("annotation Model alerts")).findFirst()
            .orElseThrow().expr();
    assertThat(prometheus.query(annotation).path("result"))
        .as(annotation)
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

  /** Scrape and evaluate every second, job "modelmon" as the rules assume. */
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
        "modelmon_drift_statistic",
        "modelmon_drift_threshold",
        "modelmon_drift_alarm",
        "modelmon_drift_baseline_excess_log_loss_nats")) {
      text.append(name).append(" = ").append(value("max(" + name + model.selector() + ")"))
          .append('\n');
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
    return await(what, condition, diagnostics, WAIT);
  }

  private <T> T await(
      final String what,
      final Callable<T> condition,
      final Callable<?> diagnostics,
      final Duration wait)
      throws Exception {
    final long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      final T result = condition.call();
      if (result != null) {
        return result;
      }
      if (System.nanoTime() > deadline) {
        return fail("%s: not within %s%n%s%nPrometheus log:%n%s", what, wait,
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
    private final String labelsTopic;
    private final PriorityQueue<DemoEvent.LaterLabel> laterLabels =
        new PriorityQueue<>(Comparator.comparingLong(DemoEvent.LaterLabel::outcomeTimeMillis));
    private final TrafficGenerator generator;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean drifted;
    private volatile boolean stopped;

    LiveTraffic(
        final KafkaProducer<byte[], byte[]> producer,
        final String topic,
        final String labelsTopic,
        final List<SyntheticModel> models) {
      this.producer = producer;
      this.topic = topic;
      this.labelsTopic = labelsTopic;
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
            send(new ProducerRecord<>(topic, event.key(), event.value()));
            if (event.laterLabel() != null) {
              laterLabels.add(event.laterLabel());
            }
            sent++;
          }
          // Fraud's labels, as the demo sends them: on the labels topic once they are due.
          while (!laterLabels.isEmpty()
              && laterLabels.peek().outcomeTimeMillis() <= System.currentTimeMillis()) {
            final DemoEvent.LaterLabel label = laterLabels.poll();
            send(new ProducerRecord<>(
                labelsTopic, null, label.outcomeTimeMillis(), label.key(), label.value()));
          }
          Thread.sleep(10);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        failure.compareAndSet(null, e);
      }
    }

    private void send(final ProducerRecord<byte[], byte[]> record) {
      producer.send(record, (metadata, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
      });
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
