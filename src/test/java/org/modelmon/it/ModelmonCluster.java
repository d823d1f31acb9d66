package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.modelmon.ModelmonApplication;
import org.modelmon.config.ConfigLoader;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.PrometheusText;

/**
 * One modelmon application on the test broker, for integration tests: its own topics, any number
 * of instances (same application id, own state dir and HTTP port), producers and readers.
 */
final class ModelmonCluster implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(120);
  static final List<String> CHURN_CLASSES = List.of("stay", "leave");
  static final double[] CHURN_REFERENCE = {0.8, 0.2};

  private static final ObjectMapper JSON = new ObjectMapper();

  private final EmbeddedKafkaBroker broker;
  private final Path workDir;
  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, String> settings = new HashMap<>();
  private final List<ModelmonApplication> instances = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  /**
   * @param broker the test broker
   * @param settings configuration every instance gets (windows, grace, idle close, …)
   */
  ModelmonCluster(final EmbeddedKafkaBroker broker, final Map<String, String> settings)
      throws IOException {
    this.broker = broker;
    this.workDir = Files.createTempDirectory("modelmon-it");
    this.settings.putAll(settings);
  }

  /** The application id every instance of this cluster runs with. */
  String applicationId() {
    return "modelmon-it-" + suffix;
  }

  String topic(final String name) {
    return name + "-" + suffix;
  }

  /**
   * Creates the predictions and labels topics with {@code partitions} each and the compacted
   * references topic.
   */
  void createTopics(final int partitions) throws ExecutionException, InterruptedException {
    createTopics(partitions, Map.of());
  }

  /**
   * As {@link #createTopics(int)}, the references topic with {@code referencesConfig} on top of
   * {@code cleanup.policy=compact}.
   */
  void createTopics(final int partitions, final Map<String, String> referencesConfig)
      throws ExecutionException, InterruptedException {
    final Map<String, String> configs = new HashMap<>(referencesConfig);
    configs.put("cleanup.policy", "compact");
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topic("predictions"), partitions, (short) 1),
                  new NewTopic(topic("labels"), partitions, (short) 1),
                  new NewTopic(topic("model-references"), 1, (short) 1).configs(configs)))
          .all()
          .get();
    }
  }

  /**
   * Publishes a reference in force from a day ago: before any event the tests produce, which are
   * at most an hour old.
   */
  void publishReference(final String key, final String json) throws Exception {
    publishReference(key, json, System.currentTimeMillis() - Duration.ofDays(1).toMillis());
  }

  /**
   * Writes one record to the references topic with record timestamp {@code timestampMillis}, the
   * time the reference is in force from; {@code json} null is a tombstone.
   */
  void publishReference(final String key, final String json, final long timestampMillis)
      throws Exception {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      producer
          .send(new ProducerRecord<>(topic("model-references"), null, timestampMillis, key, json))
          .get();
    }
  }

  /** Every record of the references topic now, in offset order: key and value (null: tombstone). */
  List<Map.Entry<String, String>> readReferences() {
    final List<Map.Entry<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      final TopicPartition partition =
          new TopicPartition(topic("model-references"), 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      final long end = consumer.endOffsets(List.of(partition)).get(partition);
      final long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (consumer.position(partition) < end && System.nanoTime() < deadline) {
        for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          records.add(new AbstractMap.SimpleEntry<>(record.key(), record.value()));
        }
      }
    }
    return records;
  }

  KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ProducerConfig.LINGER_MS_CONFIG, 5),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** Sends an event, in the event form its model uses, to one partition of predictions. */
  void send(
      final KafkaProducer<byte[], byte[]> producer,
      final int partition,
      final ExpectedWindows.Event event) {
    producer.send(
        new ProducerRecord<>(topic("predictions"), partition, null, null, json(event)));
  }

  /** Starts one more instance of the application, in this JVM. */
  ModelmonApplication startInstance() throws IOException {
    return startInstance(instances.size());
  }

  /**
   * Starts an instance with the configuration, and so the state dir, of instance {@code index}:
   * for a restart in place, once the one that had it is closed.
   */
  ModelmonApplication startInstance(final int index) throws IOException {
    return startInstance(index, Time.SYSTEM);
  }

  /** Starts one more instance whose stream reads its wall clock from {@code streamsClock}. */
  ModelmonApplication startInstance(final Time streamsClock) throws IOException {
    return startInstance(instances.size(), streamsClock);
  }

  private ModelmonApplication startInstance(final int index, final Time streamsClock)
      throws IOException {
    final Path file = configFile(index, 0);
    final ModelmonApplication instance =
        ModelmonApplication.start(
            ConfigLoader.load(Optional.of(file), Map.of(), Map.of()), streamsClock);
    instances.add(instance);
    return instance;
  }

  /**
   * Writes the configuration file of instance {@code index}: this application's topics, its own
   * state dir, HTTP on loopback at {@code httpPort} (0 for any), plus the cluster's settings.
   */
  Path configFile(final int index, final int httpPort) throws IOException {
    final Properties properties = new Properties();
    properties.setProperty("modelmon.bootstrap.servers", broker.bootstrapServers());
    properties.setProperty("modelmon.application.id", applicationId());
    properties.setProperty("modelmon.state.dir", stateDir(index).toString());
    properties.setProperty("modelmon.topic.predictions", topic("predictions"));
    // Each cluster its own labels topic: one shared by clusters of different partition counts
    // would stop every instance whose predictions topic has another count.
    properties.setProperty("modelmon.topic.labels", topic("labels"));
    properties.setProperty("modelmon.topic.dlq", topic("predictions-dlq"));
    properties.setProperty("modelmon.topic.references", topic("model-references"));
    properties.setProperty("modelmon.topic.windows", topic("model-window-metrics"));
    properties.setProperty("modelmon.topic.alarms", topic("model-drift-alarms"));
    properties.setProperty("modelmon.http.host", "127.0.0.1");
    properties.setProperty("modelmon.http.port", Integer.toString(httpPort));
    properties.putAll(settings);
    final Path file = workDir.resolve("modelmon-" + index + ".properties");
    try (var out = Files.newBufferedWriter(file)) {
      properties.store(out, "integration test instance " + index);
    }
    return file;
  }

  /** The state dir of instance {@code index}. */
  Path stateDir(final int index) {
    return workDir.resolve("state-" + index);
  }

  /** A directory for the test's own files, deleted with the cluster. */
  Path workDir() {
    return workDir;
  }

  /** A churn (object form, has a reference), digits (array form) or fraud v2 (score form) event. */
  static ExpectedWindows.Event randomEvent(final Random random, final long time) {
    switch (random.nextInt(3)) {
      case 0: {
        final double stay = 0.05 + 0.9 * random.nextDouble();
        final int label = random.nextDouble() < stay ? 0 : 1;
        return new ExpectedWindows.Event(
            "churn", "", time, CHURN_CLASSES, new double[] {stay, 1 - stay}, label);
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

  /** Churn-like models in the object form: {@code model} is free, classes stay/leave. */
  static ExpectedWindows.Event binaryEvent(
      final Random random, final String model, final long time) {
    final double stay = 0.05 + 0.9 * random.nextDouble();
    return new ExpectedWindows.Event(
        model, "", time, CHURN_CLASSES, new double[] {stay, 1 - stay},
        random.nextDouble() < stay ? 0 : 1);
  }

  /**
   * {@code count} events of eight models (three event forms, one with a reference) spread
   * evenly over [from, to), each up to 2 s later than its place: out of order, within any grace of
   * 5 s or more.
   */
  static List<ExpectedWindows.Event> events(
      final Random random, final long from, final long to, final int count) {
    final List<ExpectedWindows.Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      final long time = from + ((to - from - 2000) * i) / count + random.nextInt(2000);
      events.add(
          i % 2 == 0 ? randomEvent(random, time) : binaryEvent(random, "model-" + (i % 5), time));
    }
    return events;
  }

  /** Sends {@code events} round-robin over {@code partitions} partitions, and flushes. */
  void produce(final List<ExpectedWindows.Event> events, final int partitions) {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = 0; i < events.size(); i++) {
        send(producer, i % partitions, events.get(i));
      }
    }
  }

  /**
   * Sends one event of model {@code model} at {@code time} to every partition: the watermark, the
   * least stream time over the partitions, then reaches {@code time} without waiting for the
   * idle close, and every window ending by {@code time} minus grace is final. The marker's own
   * windows stay open.
   */
  void advanceWatermark(final String model, final long time, final int partitions) {
    final Random random = new Random(time);
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int partition = 0; partition < partitions; partition++) {
        send(producer, partition, binaryEvent(random, model, time));
      }
    }
  }

  /** Sum of {@code modelmon_predictions_total} over every model on one instance. */
  double predictionsTotal(final ModelmonApplication instance)
      throws IOException, InterruptedException {
    return scrape(instance).samples("modelmon_predictions_total").stream()
        .mapToDouble(PrometheusText.Sample::value)
        .sum();
  }

  /** The event as JSON: score form for fraud, array form for digits, object form otherwise. */
  static byte[] json(final ExpectedWindows.Event event) {
    final String text;
    if (event.model().equals("digits")) {
      text = String.format(Locale.ROOT,
          "{\"model\":\"digits\",\"timestamp\":\"%s\",\"probabilities\":[%s],\"label\":%d}",
          Instant.ofEpochMilli(event.timeMillis()),
          Arrays.stream(event.q()).mapToObj(Double::toString).collect(Collectors.joining(",")),
          event.label());
    } else if (event.model().equals("fraud")) {
      text = String.format(Locale.ROOT,
          "{\"model\":\"fraud\",\"version\":\"%s\",\"timestamp\":%d,\"score\":%s,\"label\":%s}",
          event.version(), event.timeMillis(), event.q()[1], event.label() == 1);
    } else {
      text = String.format(Locale.ROOT,
          "{\"model\":\"%s\",\"version\":\"%s\",\"timestamp\":%d,"
              + "\"probabilities\":{\"stay\":%s,\"leave\":%s},\"label\":\"%s\"}",
          event.model(), event.version(), event.timeMillis(), event.q()[0], event.q()[1],
          event.classes().get(event.label()));
    }
    return text.getBytes(StandardCharsets.UTF_8);
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

  /**
   * Reads the windows topic (read_committed) until {@code expected} records arrived, failing on
   * a window emitted twice, then waits a little more for anything unexpected.
   */
  Map<String, JsonNode> readWindows(final int expected) throws IOException {
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
      for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(3))) {
        assertThat(windows)
            .as("unexpected window record %s", record.key())
            .doesNotContainKey(record.key());
        windows.put(record.key(), JSON.readTree(record.value()));
      }
    }
    return windows;
  }

  /**
   * Reads the windows topic (read_committed) as text until {@code expected} records arrived, then
   * a little longer: record key to record value, exactly as written. Fails on a key seen twice.
   */
  Map<String, String> readWindowRecords(final int expected) {
    final Map<String, String> windows = new HashMap<>();
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      consumer.subscribe(List.of(topic("model-window-metrics")));
      boolean settled = false;
      while (!settled) {
        final boolean enough = windows.size() >= expected || System.nanoTime() >= deadline;
        final ConsumerRecords<String, String> records =
            consumer.poll(Duration.ofMillis(enough ? 3000 : 500));
        for (final ConsumerRecord<String, String> record : records) {
          final String previous = windows.put(record.key(), record.value());
          assertThat(previous).as("window %s emitted twice", record.key()).isNull();
        }
        settled = enough && records.isEmpty();
      }
    }
    return windows;
  }

  /**
   * The drift detector's alarm records in topic order, as (key, value) lines, once at least
   * {@code expected} have come and no more come for 3 s.
   */
  List<String> readAlarmRecords(final int expected) {
    final List<String> alarms = new ArrayList<>();
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      consumer.subscribe(List.of(topic("model-drift-alarms")));
      boolean settled = false;
      while (!settled) {
        final boolean enough = alarms.size() >= expected || System.nanoTime() >= deadline;
        final ConsumerRecords<String, String> records =
            consumer.poll(Duration.ofMillis(enough ? 3000 : 500));
        for (final ConsumerRecord<String, String> record : records) {
          alarms.add(record.key() + " " + record.value());
        }
        settled = enough && records.isEmpty();
      }
    }
    return alarms;
  }

  /** Waits until the windows topic has at least one record. */
  void awaitFirstWindow() {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      consumer.subscribe(List.of(topic("model-window-metrics")));
      while (System.nanoTime() < deadline) {
        if (!consumer.poll(Duration.ofMillis(500)).isEmpty()) {
          return;
        }
      }
    }
    throw new AssertionError("no window record within " + TIMEOUT);
  }

  /** Counts the records of one of this application's topics, waiting for {@code expected}. */
  int countRecords(final String topicName, final int expected) {
    int count = 0;
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    try (KafkaConsumer<String, String> consumer = readCommitted()) {
      consumer.subscribe(List.of(topic(topicName)));
      while (count < expected && System.nanoTime() < deadline) {
        count += consumer.poll(Duration.ofMillis(500)).count();
      }
      count += consumer.poll(Duration.ofSeconds(1)).count();
    }
    return count;
  }

  PrometheusText scrape(final ModelmonApplication instance) throws IOException, InterruptedException {
    return scrape(instance.httpPort());
  }

  PrometheusText scrape(final int httpPort) throws IOException, InterruptedException {
    final HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return PrometheusText.parse(response.body());
  }

  HttpResponse<String> get(final ModelmonApplication instance, final String path)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  JsonNode getJson(final ModelmonApplication instance, final String path)
      throws IOException, InterruptedException {
    final HttpResponse<String> response = get(instance, path);
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  @Override
  public void close() {
    instances.forEach(ModelmonApplication::close);
    try {
      Utils.delete(workDir.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
