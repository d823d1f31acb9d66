package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.ModelmonApplication;
import org.modelmon.config.ConfigLoader;
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

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PARTITIONS = 4;
  private static final int LAGGING_PARTITION = 3;
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final List<String> CHURN_CLASSES = List.of("stay", "leave");
  private static final double[] CHURN_REFERENCE = {0.8, 0.2};

  private final EmbeddedKafkaBroker broker;
  private Path workDir;
  private String suffix;
  private ModelmonApplication application;

  ModelmonApplicationIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("modelmon-it");
    suffix = UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void stop() throws IOException {
    if (application != null) {
      application.close();
    }
    Utils.delete(workDir.toFile());
  }

  private String topic(final String name) {
    return name + "-" + suffix;
  }

  @Test
  void shouldWindowABacklogWithALaggingPartitionExactly() throws Exception {
    final Map<String, Long> windowSizes = Map.of("1m", 60_000L, "5m", 300_000L);
    final ExpectedWindows expected = new ExpectedWindows(windowSizes);
    expected.reference("churn", CHURN_CLASSES, CHURN_REFERENCE);
    // Event time starts an hour ago, on a 5m boundary.
    final long start = Math.floorDiv(System.currentTimeMillis() - 3_600_000L, 300_000L) * 300_000L;

    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topic("predictions"), PARTITIONS, (short) 1),
                  new NewTopic(topic("model-references"), 1, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact"))))
          .all()
          .get();
    }
    publishReference();

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
        events.add(randomEvent(random, time));
      }
      events.forEach(expected::add);
      byPartition.add(events);
    }
    try (KafkaProducer<byte[], byte[]> first = producer();
        KafkaProducer<byte[], byte[]> second = producer();
        KafkaProducer<byte[], byte[]> lagging = producer()) {
      final List<KafkaProducer<byte[], byte[]>> producers = List.of(first, first, second, lagging);
      for (int partition = 0; partition < PARTITIONS; partition++) {
        for (final ExpectedWindows.Event event : byPartition.get(partition)) {
          producers.get(partition).send(
              new ProducerRecord<>(topic("predictions"), partition, null, null, json(event)));
        }
      }
      for (int i = 0; i < 7; i++) {
        first.send(
            new ProducerRecord<>(
                topic("predictions"), 1, null, null, "{\"model\": ".getBytes(StandardCharsets.UTF_8)));
      }
      first.flush();
      second.flush();
      lagging.flush();
    }

    application = ModelmonApplication.start(ConfigLoader.load(Optional.of(writeConfig()), Map.of(), Map.of()));

    final Map<String, JsonNode> windows = readWindows(expected.byKey().size());
    assertThat(windows.keySet()).containsExactlyInAnyOrderElementsOf(expected.byKey().keySet());
    for (final Map.Entry<String, ExpectedWindows.Expected> entry : expected.byKey().entrySet()) {
      final JsonNode window = windows.get(entry.getKey());
      final ExpectedWindows.Expected sums = entry.getValue();
      assertThat(window.get("predictions").asLong()).as(entry.getKey()).isEqualTo(sums.predictions);
      assertThat(window.get("logLossSum").asDouble())
          .as(entry.getKey())
          .isCloseTo(sums.logLossSum, within(1e-9 * sums.logLossSum));
      final Map<String, Long> labelCounts = new HashMap<>();
      window.get("labelCounts").fields().forEachRemaining(f -> labelCounts.put(f.getKey(), f.getValue().asLong()));
      labelCounts.values().removeIf(n -> n == 0);
      assertThat(labelCounts).as(entry.getKey()).isEqualTo(sums.labelCounts);
      if (entry.getKey().startsWith("churn@")) {
        assertThat(window.get("klDivergenceSum").asDouble())
            .as(entry.getKey())
            .isCloseTo(sums.klDivergenceSum, within(1e-9 * sums.klDivergenceSum));
      } else {
        assertThat(window.has("klDivergenceSum")).as(entry.getKey()).isFalse();
      }
    }

    final PrometheusText scrape = scrape(application.httpPort());
    assertThat(scrape.samples("modelmon_late_events_total"))
        .allSatisfy(sample -> assertThat(sample.value()).isZero());
    for (final Map.Entry<String, Long> model : expected.predictionsByModel().entrySet()) {
      final String[] parts = model.getKey().split("@", -1);
      assertThat(scrape.value("modelmon_predictions_total", "model", parts[0], "version", parts[1]).orElseThrow())
          .isEqualTo(model.getValue().doubleValue());
    }
    assertThat(scrape.value("modelmon_invalid_events_total", "reason", "MALFORMED_JSON").orElseThrow())
        .isEqualTo(7.0);
    // The window gauges show each series' latest window.
    final Map<String, String> latestBySeries = new HashMap<>();
    for (final String key : expected.byKey().keySet()) {
      final String series = key.substring(0, key.lastIndexOf('@'));
      latestBySeries.merge(series, key, (a, b) -> startOf(a) >= startOf(b) ? a : b);
    }
    for (final Map.Entry<String, String> series : latestBySeries.entrySet()) {
      final String[] parts = series.getKey().split("@", -1);
      final ExpectedWindows.Expected latest = expected.byKey().get(series.getValue());
      final String[] labels = {"model", parts[0], "version", parts[1], "window", parts[2]};
      assertThat(scrape.value("modelmon_window_predictions", labels).orElseThrow())
          .isEqualTo((double) latest.predictions);
      assertThat(scrape.value("modelmon_window_log_loss_nats_sum", labels).orElseThrow())
          .isCloseTo(latest.logLossSum, within(1e-9 * latest.logLossSum));
      assertThat(scrape.value("modelmon_window_end_timestamp_seconds", labels).orElseThrow())
          .isEqualTo((startOf(series.getValue()) + windowSizes.get(parts[2])) / 1000.0);
    }
    assertThat(countRecords(topic("predictions-dlq"), 7)).isEqualTo(7);
  }

  private static PrometheusText scrape(final int port) throws IOException, InterruptedException {
    final HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return PrometheusText.parse(response.body());
  }

  private static long startOf(final String windowKey) {
    return Long.parseLong(windowKey.substring(windowKey.lastIndexOf('@') + 1));
  }

  private ExpectedWindows.Event randomEvent(final Random random, final long time) {
    switch (random.nextInt(3)) {
      case 0: {
        final double stay = 0.05 + 0.9 * random.nextDouble();
        final int label = random.nextDouble() < stay ? 0 : 1;
        return new ExpectedWindows.Event("churn", "", time, CHURN_CLASSES, new double[] {stay, 1 - stay}, label);
      }
      case 1: {
        final double[] q = new double[10];
        double total = 0;
        for (int c = 0; c < 10; c++) {
          q[c] = 0.01 + random.nextDouble();
          total += q[c];
        }
        for (int c = 0; c < 10; c++) {
          q[c] /= total;
        }
        final List<String> classes = IntStream.range(0, 10).mapToObj(Integer::toString).toList();
        return new ExpectedWindows.Event("digits", "", time, classes, q, random.nextInt(10));
      }
      default: {
        final double score = 0.01 + 0.98 * random.nextDouble();
        return new ExpectedWindows.Event(
            "fraud", "v2", time, List.of("0", "1"), new double[] {1 - score, score},
            random.nextDouble() < score ? 1 : 0);
      }
    }
  }

  /** The event in one of the contract's forms: object for churn, array for digits, score for fraud. */
  private static byte[] json(final ExpectedWindows.Event event) {
    final String text;
    if (event.model().equals("churn")) {
      text = String.format(Locale.ROOT,
          "{\"model\":\"churn\",\"timestamp\":%d,\"probabilities\":{\"stay\":%s,\"leave\":%s},\"label\":\"%s\"}",
          event.timeMillis(), event.q()[0], event.q()[1], event.classes().get(event.label()));
    } else if (event.model().equals("digits")) {
      text = String.format(Locale.ROOT,
          "{\"model\":\"digits\",\"timestamp\":\"%s\",\"probabilities\":[%s],\"label\":%d}",
          Instant.ofEpochMilli(event.timeMillis()),
          java.util.Arrays.stream(event.q()).mapToObj(Double::toString).collect(Collectors.joining(",")),
          event.label());
    } else {
      text = String.format(Locale.ROOT,
          "{\"model\":\"fraud\",\"version\":\"v2\",\"timestamp\":%d,\"score\":%s,\"label\":%s}",
          event.timeMillis(), event.q()[1], event.label() == 1);
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private void publishReference() throws Exception {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic("model-references"), "churn",
          "{\"model\":\"churn\",\"distribution\":{\"stay\":0.8,\"leave\":0.2}}")).get();
    }
  }

  private KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ProducerConfig.LINGER_MS_CONFIG, 5),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  private Path writeConfig() throws IOException {
    final Properties properties = new Properties();
    properties.setProperty("modelmon.bootstrap.servers", broker.bootstrapServers());
    properties.setProperty("modelmon.application.id", "modelmon-it-" + suffix);
    properties.setProperty("modelmon.state.dir", workDir.resolve("state").toString());
    properties.setProperty("modelmon.topic.predictions", topic("predictions"));
    properties.setProperty("modelmon.topic.dlq", topic("predictions-dlq"));
    properties.setProperty("modelmon.topic.references", topic("model-references"));
    properties.setProperty("modelmon.topic.windows", topic("model-window-metrics"));
    properties.setProperty("modelmon.windows", "1m,5m");
    properties.setProperty("modelmon.window.grace", "5s");
    properties.setProperty("modelmon.window.idle.close", "10s");
    properties.setProperty("modelmon.http.host", "127.0.0.1");
    properties.setProperty("modelmon.http.port", "0");
    final Path file = workDir.resolve("modelmon.properties");
    try (var out = Files.newBufferedWriter(file)) {
      properties.store(out, "ModelmonApplicationIT");
    }
    return file;
  }

  private KafkaConsumer<String, String> readCommitted() {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(),
        new StringDeserializer());
  }

  /** Reads the windows topic until {@code expected} records arrived, failing on a duplicate key. */
  private Map<String, JsonNode> readWindows(final int expected) throws IOException {
    final Map<String, JsonNode> windows = new HashMap<>();
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      consumer.subscribe(List.of(topic("model-window-metrics")));
      while (windows.size() < expected && System.nanoTime() < deadline) {
        for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          final JsonNode previous = windows.put(record.key(), JSON.readTree(record.value()));
          assertThat(previous).as("window %s emitted twice", record.key()).isNull();
        }
      }
      // Anything more arriving now would be a duplicate or an unexpected window.
      for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(3))) {
        assertThat(windows).as("unexpected window record %s", record.key()).doesNotContainKey(record.key());
        windows.put(record.key(), JSON.readTree(record.value()));
      }
    }
    return windows;
  }

  private int countRecords(final String topic, final int expected) {
    int count = 0;
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      consumer.subscribe(List.of(topic));
      while (count < expected && System.nanoTime() < deadline) {
        count += consumer.poll(Duration.ofMillis(500)).count();
      }
      count += consumer.poll(Duration.ofSeconds(1)).count();
    }
    return count;
  }
}
