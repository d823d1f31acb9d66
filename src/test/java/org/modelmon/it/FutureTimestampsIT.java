package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.PrometheusText;

/**
 * Records modelmon writes must carry timestamps the broker accepts, whatever the event times:
 * the broker rejects a record more than {@code message.timestamp.after.max.ms} (1 h) ahead of its
 * own clock, and a rejected write is not retriable. Here the future skew allows 2 h, events come
 * 90 min ahead of modelmon's clock, and modelmon's clock itself runs 30 min ahead of the
 * broker's: the stream must stay RUNNING with every event windowed or dead-lettered.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FutureTimestampsIT {

  private static final int PARTITIONS = 4;
  private static final long CLOCK_AHEAD_MILLIS = Duration.ofMinutes(30).toMillis();
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L);

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  FutureTimestampsIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldStayRunningWithEventsAndAClockAheadOfTheBroker() throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m",
                "modelmon.window.grace", "2s",
                "modelmon.window.idle.close", "5s",
                "modelmon.max.future.skew", "2h"));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);

    // Two minutes of events an hour ago, whose windows close, then on every partition events
    // 90 min ahead of modelmon's clock (valid: within the 2 h skew; their windows stay open) and
    // 3 h ahead (invalid).
    final long modelmonNow = System.currentTimeMillis() + CLOCK_AHEAD_MILLIS;
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 60_000L) * 60_000L;
    final Random random = new Random(3);
    final List<ExpectedWindows.Event> past =
        ModelmonCluster.events(random, start, start + 120_000L, 400);
    past.forEach(expected::add);
    final List<ExpectedWindows.Event> events = new ArrayList<>(past);
    for (int i = 0; i < PARTITIONS * 2; i++) {
      events.add(ModelmonCluster.binaryEvent(random, "ahead", modelmonNow + 90 * 60_000L + i));
    }
    final int tooFarAhead = 2;
    for (int i = 0; i < tooFarAhead; i++) {
      events.add(ModelmonCluster.binaryEvent(random, "too-far", modelmonNow + 3 * 3_600_000L));
    }
    cluster.produce(events, PARTITIONS);

    final ModelmonApplication instance = cluster.startInstance(new ShiftedTime(CLOCK_AHEAD_MILLIS));

    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(
          entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    assertThat(cluster.countRecords("predictions-dlq", tooFarAhead)).isEqualTo(tooFarAhead);

    // The events ahead reached their (open) windows: the combining task counted them.
    final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long ahead = 0;
    while (ahead < PARTITIONS * 2 && System.nanoTime() < deadline) {
      for (final JsonNode model : cluster.getJson(instance, "/api/v1/models")) {
        if (model.get("model").asText().equals("ahead")) {
          ahead = model.get("predictions").asLong();
        }
      }
      Thread.sleep(500);
    }
    assertThat(ahead).isEqualTo(PARTITIONS * 2);

    // Several flushes and commits later the stream still runs.
    Thread.sleep(5_000);
    assertThat(cluster.getJson(instance, "/health/ready").get("status").asText())
        .isEqualTo("RUNNING");
    final PrometheusText scrape = cluster.scrape(instance);
    assertThat(scrape.value("modelmon_invalid_events_total", "reason", "INVALID_TIMESTAMP"))
        .contains((double) tooFarAhead);
    assertThat(
            scrape.samples("modelmon_predictions_total").stream()
                .mapToDouble(PrometheusText.Sample::value)
                .sum())
        .isEqualTo(past.size() + PARTITIONS * 2);
  }

  /** The system clock, shifted: modelmon's clock running ahead of the broker's. */
  private record ShiftedTime(long aheadMillis) implements Time {

    @Override
    public long milliseconds() {
      return Time.SYSTEM.milliseconds() + aheadMillis;
    }

    @Override
    public long nanoseconds() {
      return Time.SYSTEM.nanoseconds();
    }

    @Override
    public void sleep(final long ms) {
      Time.SYSTEM.sleep(ms);
    }

    @Override
    public void waitObject(
        final Object obj, final Supplier<Boolean> condition, final long deadlineMs)
        throws InterruptedException {
      Time.SYSTEM.waitObject(obj, condition, deadlineMs - aheadMillis);
    }
  }
}
