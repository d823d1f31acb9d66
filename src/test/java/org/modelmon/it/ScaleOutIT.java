package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.PrometheusText;

/**
 * Two instances of one application (same application id, own state dirs and HTTP ports): every
 * series is exported by exactly one of them, either answers the API for every model, and when
 * one stops mid-stream the other carries on to exactly the windows of an uninterrupted run.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ScaleOutIT {

  private static final int PARTITIONS = 4;
  private static final Map<String, Long> WINDOW_SIZES = Map.of("1m", 60_000L, "5m", 300_000L);

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  ScaleOutIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private ModelmonCluster cluster(final String idleClose) throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", idleClose));
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");
    return cluster;
  }

  /** Events of eight models spread over [from, to), round-robin over the partitions. */
  private static List<ExpectedWindows.Event> events(
      final Random random, final long from, final long to, final int count) {
    final List<ExpectedWindows.Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      final long time = from + ((to - from - 2000) * i) / count + random.nextInt(2000);
      events.add(
          i % 2 == 0
              ? ModelmonCluster.randomEvent(random, time)
              : ModelmonCluster.binaryEvent(random, "model-" + (i % 10), time));
    }
    return events;
  }

  private void produce(final List<ExpectedWindows.Event> events) {
    try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
      for (int i = 0; i < events.size(); i++) {
        cluster.send(producer, i % PARTITIONS, events.get(i));
      }
    }
  }

  private static ExpectedWindows expected() {
    final ExpectedWindows expected = new ExpectedWindows(WINDOW_SIZES);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    return expected;
  }

  private static long fiveMinutesAlignedHourAgo() {
    return Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;
  }

  @Test
  void shouldExportEachSeriesFromExactlyOneInstanceAndAnswerTheApiFromEither() throws Exception {
    cluster("10s");
    final long start = fiveMinutesAlignedHourAgo();
    final ExpectedWindows expected = expected();
    final List<ExpectedWindows.Event> events = events(new Random(7), start, start + 300_000L, 4000);
    events.forEach(expected::add);
    produce(events);

    final ModelmonApplication first = cluster.startInstance();
    final ModelmonApplication second = cluster.startInstance();
    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());

    // Every series on exactly one instance, with the latest window's values.
    final PrometheusText firstScrape = cluster.scrape(first);
    final PrometheusText secondScrape = cluster.scrape(second);
    final Set<String> exportedByFirst = new HashSet<>();
    for (final Map.Entry<String, String> series : expected.latestBySeries().entrySet()) {
      final String[] parts = series.getKey().split("@", -1);
      final String[] labels = {"model", parts[0], "version", parts[1], "window", parts[2]};
      final var onFirst = firstScrape.value("modelmon_window_predictions", labels);
      final var onSecond = secondScrape.value("modelmon_window_predictions", labels);
      assertThat(onFirst.isPresent() ^ onSecond.isPresent())
          .as("%s exported by exactly one instance", series.getKey())
          .isTrue();
      assertThat(onFirst.or(() -> onSecond).orElseThrow())
          .as(series.getKey())
          .isEqualTo((double) expected.byKey().get(series.getValue()).predictions);
      if (onFirst.isPresent()) {
        exportedByFirst.add(parts[0] + "@" + parts[1]);
      }
    }
    assertThat(exportedByFirst).as("both instances own some models").isNotEmpty();
    assertThat(exportedByFirst.size()).isLessThan(expected.predictionsByModel().size());

    // Either instance answers for every model, fetching from the owner when needed.
    for (final ModelmonApplication instance : List.of(first, second)) {
      final Set<String> listed = new TreeSet<>();
      for (final JsonNode model : cluster.getJson(instance, "/api/v1/models")) {
        listed.add(model.get("model").asText() + "@" + model.get("version").asText());
        assertThat(model.get("predictions").asLong())
            .isEqualTo(
                expected
                    .predictionsByModel()
                    .get(model.get("model").asText() + "@" + model.get("version").asText()));
      }
      assertThat(listed).isEqualTo(expected.predictionsByModel().keySet());
      for (final String model : expected.predictionsByModel().keySet()) {
        final String[] parts = model.split("@", -1);
        final JsonNode list =
            cluster.getJson(
                instance,
                "/api/v1/models/" + parts[0] + "/windows?window=1m&version=" + parts[1]
                    + "&from=" + start + "&to=" + (start + 300_000L));
        final List<String> keys = new ArrayList<>();
        for (final JsonNode window : list) {
          final String key = window.get("model").asText() + "@" + window.get("version").asText()
              + "@1m@" + window.get("startMillis").asLong();
          ExpectedWindows.assertMatches(key, window, expected.byKey().get(key));
          keys.add(key);
        }
        assertThat(keys)
            .as(model)
            .containsExactlyElementsOf(
                expected.byKey().keySet().stream()
                    .filter(k -> k.startsWith(model + "@1m@"))
                    .sorted((a, b) -> Long.compare(ExpectedWindows.startOf(a), ExpectedWindows.startOf(b)))
                    .toList());
      }
      assertThat(cluster.get(instance, "/api/v1/models/no-such-model/windows").statusCode())
          .isEqualTo(404);
    }
  }

  @Test
  void shouldCarryOnFromRestoredStateWhenAnInstanceStopsMidStream() throws Exception {
    // Idle close well above the pause between the two halves, so nothing of the second half
    // arrives after its window was closed by the wall clock.
    cluster("30s");
    final long start = fiveMinutesAlignedHourAgo();
    final ExpectedWindows expected = expected();
    final Random random = new Random(11);
    final List<ExpectedWindows.Event> firstHalf =
        events(random, start, start + 180_000L, 3000);
    final List<ExpectedWindows.Event> secondHalf =
        events(random, start + 180_000L, start + 300_000L, 2000);
    firstHalf.forEach(expected::add);
    secondHalf.forEach(expected::add);

    produce(firstHalf);
    final ModelmonApplication survivor = cluster.startInstance();
    final ModelmonApplication leaver = cluster.startInstance();
    cluster.awaitFirstWindow();
    leaver.close();
    produce(secondHalf);

    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }
    // The survivor now exports every series, from state restored from the leaver's changelogs.
    final PrometheusText scrape = cluster.scrape(survivor);
    expected.assertLatestWindowGauges(scrape);
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
  }
}
