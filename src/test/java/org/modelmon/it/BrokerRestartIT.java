package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaTestUtils;
import org.modelmon.testing.PrometheusText;

/**
 * The broker stops and comes back while the processor runs: {@code /health/ready} reports the
 * outage (503, broker unreachable) and recovers, and the processor reconnects and carries on to
 * exactly the windows of an uninterrupted run, none of them emitted twice.
 *
 * <p>The test restarts a broker of its own, on fixed ports below the ephemeral range so that
 * nothing else can take them while it is down: the run's shared broker serves the other tests.
 */
class BrokerRestartIT {

  private static final int PARTITIONS = 4;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L, "5m", 300_000L);
  private static final Duration IDLE_CLOSE = Duration.ofMinutes(10);
  private static final Duration SHORT_OUTAGE = Duration.ofSeconds(5);
  // Longer than the producer's max.block.ms, 60 s: sends and commits pending at the stop time out.
  private static final Duration LONG_OUTAGE = Duration.ofSeconds(75);
  // After a long outage the replaced thread waits out the dead one's session (45 s) to rejoin.
  private static final Duration TIMEOUT = Duration.ofSeconds(180);
  private static final String MARKER = "end-of-data";
  private static final ObjectMapper JSON = new ObjectMapper();

  private EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  @BeforeEach
  void startOwnBroker() throws IOException {
    final int brokerPort = KafkaTestUtils.freeFixedPort();
    int controllerPort = KafkaTestUtils.freeFixedPort();
    while (controllerPort == brokerPort) {
      controllerPort = KafkaTestUtils.freeFixedPort();
    }
    broker =
        EmbeddedKafkaBroker.builder().brokerPort(brokerPort).controllerPort(controllerPort).start();
  }

  @AfterEach
  void stop() {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  @Test
  void shouldReportTheOutageAndCarryOnToExactWindowsWhenTheBrokerRestarts() throws Exception {
    // Given an instance that has scored every event sent before the broker stops for 5 s,
    restartBrokerAndExpectExactWindows(SHORT_OUTAGE, true);
  }

  @Test
  void shouldRideOutAnOutageLongerThanTheProducerTimeoutWithExactWindows() throws Exception {
    // Given an instance still scoring when the broker stops for longer than the producer's
    // max.block.ms (60 s): a transaction open at the stop times out, Kafka Streams marks its
    // tasks corrupted, revives them on their last commit and, when the producer cannot recover,
    // the stream thread dies and is replaced. Either way the windows must come out exact.
    restartBrokerAndExpectExactWindows(LONG_OUTAGE, false);
  }

  private void restartBrokerAndExpectExactWindows(
      final Duration outage, final boolean awaitEveryEvent) throws Exception {
    // An instance with idle close 10 min. While the broker is down no partition's stream
    // time advances; were every partition still for the idle close, the watermark would run on
    // with the wall clock and finalise the windows the second half still falls into, counting
    // its events late. The outage — stop, down, restart, reconnect — takes the time it is down
    // plus 10–30 s here, but over 2 min on a loaded 2-core CI box, so 10 min leave room. Nothing
    // waits for the idle close: markers end the data.
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", IDLE_CLOSE.toSeconds() + "s"));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    final Random random = new Random(20261201);
    // Event time [start, start+3m) before the outage, [start+3m, start+5m) after: the 5m window
    // [start, start+5m) holds events of both.
    final List<ExpectedWindows.Event> before =
        ModelmonCluster.events(random, start, start + 180_000L, 3000);
    final List<ExpectedWindows.Event> after =
        ModelmonCluster.events(random, start + 180_000L, start + 300_000L, 2000);
    before.forEach(expected::add);
    after.forEach(expected::add);

    final ModelmonApplication instance = cluster.startInstance();
    awaitReady(instance, 200);
    cluster.produce(before, PARTITIONS);
    awaitPredictions(instance, awaitEveryEvent ? before.size() : 1);

    // When the broker stops,
    final long quietSince = System.nanoTime();
    broker.stop();

    // then the instance is not ready,
    final JsonNode down = JSON.readTree(awaitReady(instance, 503).body());
    assertThat(down.get("broker").asText()).isEqualTo("unreachable");
    // and stays so while the broker is down.
    final long downUntil = System.nanoTime() + outage.toNanos();
    while (System.nanoTime() < downUntil) {
      final HttpResponse<String> response = cluster.get(instance, "/health/ready");
      assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
      Thread.sleep(250);
    }

    // When the broker is back, the instance is ready again, its stream RUNNING,
    broker.restart();
    final JsonNode up = JSON.readTree(awaitReady(instance, 200).body());
    assertThat(up.get("status").asText()).isEqualTo("RUNNING");
    assertThat(up.get("broker").asText()).isEqualTo("reachable");
    cluster.produce(after, PARTITIONS);
    assertThat(Duration.ofNanos(System.nanoTime() - quietSince))
        .as("the outage must stay well below the idle close, or events would count late")
        .isLessThan(IDLE_CLOSE.dividedBy(2));
    // and once the watermark passes start+5m+grace on every partition,
    cluster.advanceWatermark(MARKER, start + 330_000L, PARTITIONS);

    // every window is exact, and none was emitted twice (readWindows checks).
    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    windows.keySet().removeIf(key -> key.startsWith(MARKER + "@"));
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    // Counts first, over every window at once: whether events went missing or counted twice, and
    // in which windows, says more about a failure than the first double that differs.
    final PrometheusText scrape = cluster.scrape(instance);
    final String counts = counts(expected, windows, scrape);
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      final JsonNode actual = windows.get(entry.getKey());
      assertThat(actual.path("predictions").asLong(-1))
          .as("%s predictions; every window:%n%s", entry.getKey(), counts)
          .isEqualTo(entry.getValue().predictions);
      for (final Map.Entry<String, Long> label : entry.getValue().labelCounts.entrySet()) {
        assertThat(actual.path("labelCounts").path(label.getKey()).asLong(-1))
            .as("%s labelCounts.%s; every window:%n%s", entry.getKey(), label.getKey(), counts)
            .isEqualTo(label.getValue());
      }
    }
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(
          entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    expected.assertLatestWindowGauges(scrape);
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
    assertThat(cluster.get(instance, "/health/ready").statusCode()).isEqualTo(200);
  }

  /**
   * One line per expected window: its predictions and label counts, expected then actual; then
   * the late and invalid events the instance counted. Shows at once whether events went missing
   * or counted twice, in which windows, and whether the watermark finalised a window too early.
   */
  private static String counts(
      final ExpectedWindows expected,
      final Map<String, JsonNode> windows,
      final PrometheusText scrape) {
    final StringBuilder text = new StringBuilder();
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      final JsonNode actual = windows.get(entry.getKey());
      final long predictions = entry.getValue().predictions;
      final long got = actual == null ? -1 : actual.path("predictions").asLong(-1);
      text.append(
          String.format(
              "  %s: predictions %d -> %d, labelCounts %s -> %s%s%n",
              entry.getKey(),
              predictions,
              got,
              entry.getValue().labelCounts,
              actual == null ? "none" : actual.path("labelCounts"),
              got == predictions ? "" : "  <-- differs"));
    }
    for (final String metric :
        List.of("modelmon_late_events_total", "modelmon_invalid_events_total")) {
      for (final PrometheusText.Sample sample : scrape.samples(metric)) {
        text.append("  ").append(sample).append(System.lineSeparator());
      }
    }
    return text.toString();
  }

  /** Polls {@code /health/ready} until it answers {@code status}; returns that answer. */
  private HttpResponse<String> awaitReady(final ModelmonApplication instance, final int status)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    HttpResponse<String> response = cluster.get(instance, "/health/ready");
    while (response.statusCode() != status && System.nanoTime() < deadline) {
      Thread.sleep(250);
      response = cluster.get(instance, "/health/ready");
    }
    assertThat(response.statusCode())
        .as("/health/ready within %s: %s", TIMEOUT, response.body())
        .isEqualTo(status);
    return response;
  }

  /** Waits until the instance has scored at least {@code count} events. */
  private void awaitPredictions(final ModelmonApplication instance, final int count)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    double scored = cluster.predictionsTotal(instance);
    while (scored < count && System.nanoTime() < deadline) {
      Thread.sleep(250);
      scored = cluster.predictionsTotal(instance);
    }
    assertThat(scored).as("events scored within %s", TIMEOUT).isGreaterThanOrEqualTo(count);
  }
}
