package org.modelmon.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.modelmon.admission.FirstComeAdmission;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WatermarkGauge;

/**
 * The real topology of {@link ModelmonTopology#build} in a {@link TopologyTestDriver}, with typed
 * topics and the instance's metrics registry, for tests. Public so that the HTTP tests query the
 * stores of the very same topology.
 */
public final class TopologyFixture implements AutoCloseable {

  public static final Instant EVENT_TIME_ORIGIN = Instant.parse("2026-11-28T14:00:00Z");

  /**
   * Wall-clock start of every test: ten minutes after {@link #EVENT_TIME_ORIGIN}, so that test
   * events are in the past, as real ones are (an event ahead of the wall clock advances the
   * watermark only up to now).
   */
  public static final Instant WALL_CLOCK_START = EVENT_TIME_ORIGIN.plus(Duration.ofMinutes(10));

  /** Record timestamp of the first reference {@link #publishReference(String, String)} sends. */
  public static final Instant REFERENCES_IN_FORCE_FROM =
      EVENT_TIME_ORIGIN.minus(Duration.ofHours(1));

  private static final ObjectMapper JSON = new ObjectMapper();

  public final ModelmonConfig config;
  public final PrometheusRegistry registry = new PrometheusRegistry();
  final ModelmonMetrics metrics;
  final WatermarkGauge watermarkGauge;
  public final TopologyTestDriver driver;
  final TestInputTopic<byte[], byte[]> predictions;
  final TestInputTopic<String, byte[]> references;
  final TestInputTopic<byte[], byte[]> labels;
  final TestOutputTopic<String, String> windows;
  final TestOutputTopic<byte[], byte[]> deadLetters;
  final TestOutputTopic<String, String> alarms;
  private final Path stateDir;

  public TopologyFixture(final ModelmonConfig config) {
    this.config = config;
    this.metrics =
        ModelmonMetrics.register(registry, config.metricsMaxClasses(), config.calibrationBins());
    this.watermarkGauge = WatermarkGauge.register(registry);
    try {
      this.stateDir = Files.createTempDirectory("modelmon-topology-test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    final Properties properties = ModelmonTopology.streamsProperties(config, metrics);
    properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver =
        new TopologyTestDriver(
            ModelmonTopology.build(
                config, 1, metrics, watermarkGauge, new FirstComeAdmission(config.maxModels())),
            properties,
            WALL_CLOCK_START.minus(idleSeconds(config)));
    predictions =
        driver.createInputTopic(
            config.predictionsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
    // References are in force from their record timestamp: by default from an hour before the
    // first test event, a millisecond apart, in the order published.
    references =
        driver.createInputTopic(
            config.referencesTopic(),
            new StringSerializer(),
            new ByteArraySerializer(),
            REFERENCES_IN_FORCE_FROM,
            Duration.ofMillis(1));
    windows =
        driver.createOutputTopic(
            config.windowsTopic(), new StringDeserializer(), new StringDeserializer());
    deadLetters =
        driver.createOutputTopic(
            config.dlqTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    alarms =
        driver.createOutputTopic(
            config.alarmsTopic(), new StringDeserializer(), new StringDeserializer());
    labels =
        driver.createInputTopic(
            config.labels().topic(), new ByteArraySerializer(), new ByteArraySerializer());
    // Every task has reported since before the tests start, and the labels partition has read
    // nothing for the idle-close period: it is idle, as an unused labels topic is in a live run,
    // so that windows close on the predictions alone.
    final Duration step = Duration.ofSeconds(5); // within the report timeout
    for (Duration passed = Duration.ZERO;
        passed.compareTo(idleSeconds(config)) < 0;
        passed = passed.plus(step)) {
      driver.advanceWallClockTime(step);
    }
  }

  /** Pipes one event JSON with the given record timestamp. */
  void send(final String json, final Instant recordTime) {
    predictions.pipeInput(
        new TestRecord<>(null, json.getBytes(StandardCharsets.UTF_8), recordTime));
  }

  /**
   * A prediction event in the object form (docs/reference.md#prediction-events).
   *
   * @param version the version, or {@code null} to leave the field out
   * @param probabilities class to probability, written in iteration order
   */
  public static String event(
      final String model,
      final String version,
      final Instant time,
      final Map<String, Double> probabilities,
      final String label) {
    final ObjectNode event = JSON.createObjectNode().put("model", model);
    if (version != null) {
      event.put("version", version);
    }
    event.put("timestamp", time.toString());
    final ObjectNode classes = event.putObject("probabilities");
    probabilities.forEach(classes::put);
    event.put("label", label);
    return event.toString();
  }

  /** The wall-clock time the fixture lets pass before a test starts, in whole 5 s steps. */
  private static Duration idleSeconds(final ModelmonConfig config) {
    final long steps = config.idleClose().plusSeconds(2).toSeconds() / 5 + 1;
    return Duration.ofSeconds(steps * 5);
  }

  /** Pipes one label event JSON with the given record timestamp. */
  public void sendLabel(final String json, final Instant recordTime) {
    labels.pipeInput(new TestRecord<>(null, json.getBytes(StandardCharsets.UTF_8), recordTime));
  }

  /** Pipes one event JSON whose own timestamp field carries the event time. */
  public void send(final String json) {
    send(json, WALL_CLOCK_START);
  }

  /**
   * Publishes a reference record ({@code json} null: a tombstone) in force from a time before any
   * test event, later than every reference published before.
   */
  public void publishReference(final String key, final String json) {
    references.pipeInput(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8));
  }

  /** Publishes a reference record in force from {@code from}, its record timestamp. */
  public void publishReference(final String key, final String json, final Instant from) {
    references.pipeInput(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8), from);
  }

  /**
   * Lets the second pass in which the scoring tasks add what they scored to the process counters,
   * as they do once a second: before reading a counter of scored events.
   */
  public void awaitCounters() {
    advanceWallClock(Duration.ofSeconds(1));
  }

  /** Lets wall-clock time pass, firing the flush and finality punctuations. */
  public void advanceWallClock(final Duration duration) {
    // One second at a time, as the punctuations would fire in a live run.
    for (long s = 0; s < duration.toSeconds(); s++) {
      driver.advanceWallClockTime(Duration.ofSeconds(1));
    }
  }

  /** Every window record emitted so far, parsed. */
  List<JsonNode> emittedWindows() {
    return windows.readValuesToList().stream().map(TopologyFixture::parse).toList();
  }

  static JsonNode parse(final String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The value of a counter data point, 0 when absent. */
  public double counter(final String name, final String... labels) {
    final CounterSnapshot.CounterDataPointSnapshot point = counterPoint(name, labels);
    return point == null ? 0.0 : point.getValue();
  }

  /** Whether a counter series with exactly these labels is exported at all. */
  public boolean hasCounter(final String name, final String... labels) {
    return counterPoint(name, labels) != null;
  }

  private CounterSnapshot.CounterDataPointSnapshot counterPoint(
      final String name, final String... labels) {
    final String baseName = name.endsWith("_total") ? name.substring(0, name.length() - 6) : name;
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(baseName)
          && snapshot instanceof CounterSnapshot counters) {
        for (final CounterSnapshot.CounterDataPointSnapshot point : counters.getDataPoints()) {
          if (point.getLabels().equals(Labels.of(labels))) {
            return point;
          }
        }
      }
    }
    return null;
  }

  /** The value of a gauge data point, or {@code null} when absent. */
  public Double gauge(final String name, final String... labels) {
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(name)
          && snapshot instanceof GaugeSnapshot gauges) {
        for (final GaugeSnapshot.GaugeDataPointSnapshot point : gauges.getDataPoints()) {
          if (point.getLabels().equals(Labels.of(labels))) {
            return point.getValue();
          }
        }
      }
    }
    return null;
  }

  /** The data point of a histogram, or {@code null} when absent. */
  public HistogramSnapshot.HistogramDataPointSnapshot histogram(
      final String name, final String... labels) {
    for (final MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot.getMetadata().getPrometheusName().equals(name)
          && snapshot instanceof HistogramSnapshot histograms) {
        for (final HistogramSnapshot.HistogramDataPointSnapshot point :
            histograms.getDataPoints()) {
          if (point.getLabels().equals(Labels.of(labels))) {
            return point;
          }
        }
      }
    }
    return null;
  }

  @Override
  public void close() {
    driver.close();
    try {
      Utils.delete(stateDir.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
