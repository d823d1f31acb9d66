package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.PrometheusText;

/**
 * modelmon's {@code run} entry point against a real KRaft broker: several producers write a
 * backlog to a four-partition topic, one partition minutes of event time behind the others; the
 * application must window all of it exactly, count nothing late, and export the same figures on
 * {@code /metrics} and the windows topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ModelmonApplicationIT {

  private static final int PARTITIONS = 4;
  private static final int LAGGING_PARTITION = 3;

  private final EmbeddedKafkaBroker broker;
  private ModelmonCluster cluster;

  ModelmonApplicationIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void shouldWindowABacklogWithALaggingPartitionExactly() throws Exception {
    cluster =
        new ModelmonCluster(
            broker,
            Map.of(
                "modelmon.windows", "1m,5m",
                "modelmon.window.grace", "5s",
                "modelmon.window.idle.close", "10s"));
    final Map<String, Long> windowSizes = Map.of("1m", 60_000L, "5m", 300_000L);
    final ExpectedWindows expected = new ExpectedWindows(windowSizes);
    expected.reference("churn", ModelmonCluster.CHURN_CLASSES, ModelmonCluster.CHURN_REFERENCE);
    // Event time starts an hour ago, on a 5m boundary.
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");

    // Partitions 0–2 carry [start+5m, start+10m); the lagging partition carries [start, start+5m),
    // produced by its own producer. All of it is a backlog before modelmon starts. The data ends
    // just before a 5m boundary, so that once every partition is idle, the last windows close
    // within seconds of wall clock (the watermark then advances with the wall clock).
    final Random random = new Random(20261128);
    final List<List<ExpectedWindows.Event>> byPartition = new ArrayList<>();
    for (int partition = 0; partition < PARTITIONS; partition++) {
      final boolean lagging = partition == LAGGING_PARTITION;
      final long from = start + (lagging ? 0 : 300_000L);
      final int count = lagging ? 3000 : 600;
      final List<ExpectedWindows.Event> events = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        // Mostly ordered, up to 2 s out of order: well within the 5 s grace.
        final long time = from + (298_000L * i) / count + random.nextInt(2000);
        events.add(ModelmonCluster.randomEvent(random, time));
      }
      events.forEach(expected::add);
      byPartition.add(events);
    }
    try (KafkaProducer<byte[], byte[]> first = cluster.producer();
        KafkaProducer<byte[], byte[]> second = cluster.producer();
        KafkaProducer<byte[], byte[]> lagging = cluster.producer()) {
      final List<KafkaProducer<byte[], byte[]>> producers = List.of(first, first, second, lagging);
      for (int partition = 0; partition < PARTITIONS; partition++) {
        for (final ExpectedWindows.Event event : byPartition.get(partition)) {
          cluster.send(producers.get(partition), partition, event);
        }
      }
      for (int i = 0; i < 7; i++) {
        first.send(
            new ProducerRecord<>(
                cluster.topic("predictions"), 1, null, null,
                "{\"model\": ".getBytes(StandardCharsets.UTF_8)));
      }
      first.flush();
      second.flush();
      lagging.flush();
    }

    final ModelmonApplication application = cluster.startInstance();

    final Map<String, JsonNode> windows = cluster.readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      ExpectedWindows.assertMatches(entry.getKey(), windows.get(entry.getKey()), entry.getValue());
    }

    final PrometheusText scrape = cluster.scrape(application);
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
    for (final Map.Entry<String, Long> model : expected.predictionsByModel().entrySet()) {
      final String[] parts = model.getKey().split("@", -1);
      assertThat(
              scrape
                  .value("modelmon_predictions_total", "model", parts[0], "version", parts[1])
                  .orElseThrow())
          .isEqualTo(model.getValue().doubleValue());
    }
    assertThat(
            scrape.value("modelmon_invalid_events_total", "reason", "MALFORMED_JSON").orElseThrow())
        .isEqualTo(7.0);
    // The window gauges show each series' latest window, every one of them.
    expected.assertLatestWindowGauges(scrape);
    assertThat(cluster.countRecords("predictions-dlq", 7)).isEqualTo(7);
  }
}
