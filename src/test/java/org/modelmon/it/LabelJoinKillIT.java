package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.ModelmonProcess;
import org.modelmon.testing.PrometheusText;

/**
 * Exactly-once of the label join under SIGKILL: predictions without a label and their labels, some
 * labels before their prediction, stream into a processor in its own JVM that is killed three times
 * at random moments and restarted on the same state dir. Its windows must be those of an
 * uninterrupted run over the same topics under another application id, every pair scored once: the
 * labelled events of all windows are exactly the inline labels plus one per label event, the
 * predictions exactly one per prediction event, and nothing is late or dead-lettered.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LabelJoinKillIT {

  private static final int PARTITIONS = 4;
  private static final int PREDICTIONS = 24_000;
  private static final int CHUNKS = 40;
  private static final int KILLS = 3;
  private static final long MINUTE = 60_000L;
  private static final List<Long> WINDOW_SIZES = List.of(MINUTE, 5 * MINUTE);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EmbeddedKafkaBroker broker;
  private final ExecutorService producerThread = Executors.newSingleThreadExecutor();
  private ModelmonCluster cluster;
  private ModelmonCluster uninterrupted;
  private ModelmonProcess modelmon;

  LabelJoinKillIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @AfterEach
  void stop() throws Exception {
    producerThread.shutdownNow();
    producerThread.awaitTermination(30, TimeUnit.SECONDS);
    if (modelmon != null) {
      modelmon.close();
    }
    if (uninterrupted != null) {
      uninterrupted.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One input record: a prediction or a label, on a partition, with the time it stands at. */
  private record Input(String topic, int partition, long timeMillis, String json) {}

  @Test
  void shouldScoreEveryPairOnceAcrossThreeKills() throws Exception {
    final Map<String, String> settings =
        Map.of(
            "modelmon.windows", "1m,5m",
            "modelmon.window.grace", "5s",
            "modelmon.window.idle.close", "30s",
            "modelmon.labels.horizon", "1h",
            "modelmon.labels.early", "5m",
            // A killed member must leave the group in seconds, not the default 45 s.
            "kafka.session.timeout.ms", "6000",
            "kafka.heartbeat.interval.ms", "1500");
    cluster = new ModelmonCluster(broker, settings);
    cluster.createTopics(PARTITIONS);
    cluster.publishReference(
        "churn", "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}");

    // Ten minutes of predictions an hour ago; three in four without a label, whose label comes
    // up to 20 minutes later, or for one in ten up to 2 s before its prediction (clocks that
    // disagree). Records are sent in the order of their time, up to 3 s apart, as live traffic
    // comes; the last stands 3 s before a 5m boundary past every outcome, so the windows close
    // soon after the input goes idle.
    final long start =
        Math.floorDiv(System.currentTimeMillis() - 60 * MINUTE, 5 * MINUTE) * 5 * MINUTE;
    final Random random = new Random(7);
    final List<Input> ordered = new ArrayList<>();
    final Set<String> windowKeys = new HashSet<>();
    long inline = 0;
    long labels = 0;
    long lastTime = start;
    for (int i = 0; i < PREDICTIONS; i++) {
      final long time = start + (600_000L * i) / PREDICTIONS + random.nextInt(3000);
      final boolean churn = i % 2 == 0;
      final String model = churn ? "churn" : "fraud";
      final String id = "req-" + i;
      final double q = round6(0.01 + 0.98 * random.nextDouble());
      final boolean positive = random.nextDouble() < q;
      final String label =
          churn ? (positive ? "\"leave\"" : "\"stay\"") : Boolean.toString(positive);
      final boolean labelInline = i % 4 == 0;
      final String probabilities =
          churn
              ? String.format(
                  Locale.ROOT, "\"probabilities\": {\"stay\": %.6f, \"leave\": %.6f}", 1 - q, q)
              : String.format(Locale.ROOT, "\"score\": %.6f", q);
      ordered.add(
          new Input(
              "predictions",
              i % PARTITIONS,
              time,
              String.format(
                  Locale.ROOT,
                  "{\"model\": \"%s\", \"id\": \"%s\", \"timestamp\": %d, %s%s}",
                  model,
                  id,
                  time,
                  probabilities,
                  labelInline ? ", \"label\": " + label : "")));
      addWindows(windowKeys, model, time);
      if (labelInline) {
        inline++;
        continue;
      }
      final long outcome =
          random.nextInt(10) == 0
              ? time - random.nextInt(2000) - 1
              : time + (long) (random.nextDouble() * 20 * MINUTE);
      addWindows(windowKeys, model, outcome);
      lastTime = Math.max(lastTime, outcome);
      labels++;
      ordered.add(
          new Input(
              "labels",
              random.nextInt(PARTITIONS),
              outcome,
              String.format(
                  Locale.ROOT,
                  "{\"model\": \"%s\", \"id\": \"%s\", \"label\": %s, \"timestamp\": %d}",
                  model,
                  id,
                  label,
                  outcome)));
    }
    ordered.sort(Comparator.comparingLong(Input::timeMillis));
    final long closing = Math.floorDiv(lastTime, 5 * MINUTE) * 5 * MINUTE + 5 * MINUTE - 3_000L;
    for (int p = 0; p < PARTITIONS; p++) {
      ordered.add(
          new Input(
              "predictions",
              p,
              closing,
              String.format(
                  Locale.ROOT,
                  "{\"model\": \"marker\", \"timestamp\": %d, \"score\": 0.5, \"label\": true}",
                  closing)));
    }

    final Path config = cluster.configFile(0, 0);
    final Path output = cluster.workDir().resolve("modelmon.out");
    modelmon = ModelmonProcess.start(config, ModelmonProcess.freePort(), output);
    modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));

    // The input streams in over about 40 s while the processor is killed and restarted.
    final Future<?> production =
        producerThread.submit(
            () -> {
              try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                final int chunk = (ordered.size() + CHUNKS - 1) / CHUNKS;
                for (int c = 0; c < ordered.size(); c += chunk) {
                  for (final Input input :
                      ordered.subList(c, Math.min(ordered.size(), c + chunk))) {
                    producer.send(
                        new ProducerRecord<>(
                            cluster.topic(input.topic()),
                            input.partition(),
                            null,
                            null,
                            input.json().getBytes(StandardCharsets.UTF_8)));
                  }
                  producer.flush();
                  Thread.sleep(1000);
                }
              }
              return null;
            });
    for (int kill = 0; kill < KILLS; kill++) {
      Thread.sleep(2000 + random.nextInt(6000));
      modelmon.kill();
      modelmon = ModelmonProcess.start(config, ModelmonProcess.freePort(), output);
      modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));
    }
    production.get(120, TimeUnit.SECONDS);
    modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));

    // Every window: the marker's and those of the events.
    final int expectedWindows = windowKeys.size() + WINDOW_SIZES.size();
    final Map<String, JsonNode> killed = cluster.readWindows(expectedWindows);
    assertThat(killed).hasSize(expectedWindows);
    final PrometheusText scrape = cluster.scrape(modelmon.httpPort());
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());

    // Every pair scored once: one prediction per prediction event, one labelled event per inline
    // label and per label event, over the 1m windows of the two models.
    long predictions = 0;
    long labelled = 0;
    for (final Map.Entry<String, JsonNode> window : killed.entrySet()) {
      if (window.getKey().contains("@1m@") && !window.getKey().startsWith("marker@")) {
        predictions += window.getValue().get("predictions").asLong();
        labelled += window.getValue().get("labelled").asLong();
      }
    }
    assertThat(predictions).isEqualTo(PREDICTIONS);
    assertThat(labelled).isEqualTo(inline + labels);
    assertThat(scrape.samples("modelmon_invalid_labels_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());

    // The same windows as a run that was never interrupted, over the same input topics.
    final Map<String, String> replaySettings = new HashMap<>(settings);
    replaySettings.put("modelmon.topic.predictions", cluster.topic("predictions"));
    replaySettings.put("modelmon.topic.labels", cluster.topic("labels"));
    replaySettings.put("modelmon.topic.references", cluster.topic("model-references"));
    uninterrupted = new ModelmonCluster(broker, replaySettings);
    final ModelmonApplication replay = uninterrupted.startInstance();
    final Map<String, JsonNode> expected = uninterrupted.readWindows(expectedWindows);
    assertThat(killed.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    for (final Map.Entry<String, JsonNode> window : expected.entrySet()) {
      assertSameWindow(window.getKey(), killed.get(window.getKey()), window.getValue());
    }
    replay.close();
  }

  private static double round6(final double value) {
    return Math.round(value * 1e6) / 1e6;
  }

  private static void addWindows(final Set<String> keys, final String model, final long time) {
    for (final long size : WINDOW_SIZES) {
      keys.add(model + "@" + size + "@" + Math.floorDiv(time, size) * size);
    }
  }

  /**
   * The same record: every field present in both, counts and texts equal, sums equal but for the
   * last bits that adding the same partials in another order may change.
   */
  private static void assertSameWindow(
      final String key, final JsonNode actual, final JsonNode expected) {
    assertThat(actual).as(key).isNotNull();
    final List<String> actualFields = new ArrayList<>();
    actual.fieldNames().forEachRemaining(actualFields::add);
    final List<String> expectedFields = new ArrayList<>();
    expected.fieldNames().forEachRemaining(expectedFields::add);
    assertThat(actualFields).as(key).containsExactlyInAnyOrderElementsOf(expectedFields);
    assertSameValue(key, actual, expected);
  }

  private static void assertSameValue(
      final String where, final JsonNode actual, final JsonNode expected) {
    if (expected.isObject()) {
      expected
          .fieldNames()
          .forEachRemaining(
              field ->
                  assertSameValue(where + "." + field, actual.get(field), expected.get(field)));
    } else if (expected.isArray()) {
      assertThat(actual.size()).as(where).isEqualTo(expected.size());
      for (int i = 0; i < expected.size(); i++) {
        assertSameValue(where + "[" + i + "]", actual.get(i), expected.get(i));
      }
    } else if (expected.isIntegralNumber()) {
      assertThat(actual.asLong()).as(where).isEqualTo(expected.asLong());
    } else if (expected.isNumber()) {
      assertThat(actual.asDouble())
          .as(where)
          .isCloseTo(
              expected.asDouble(), within(1e-9 * Math.max(1, Math.abs(expected.asDouble()))));
    } else {
      assertThat(actual).as(where).isEqualTo(expected);
    }
  }
}
