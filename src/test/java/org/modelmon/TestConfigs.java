package org.modelmon;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modelmon.config.Durations;
import org.modelmon.config.LabelSettings;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.config.WindowSpec;
import org.modelmon.detector.DetectorSettings;

/** Configurations for tests, built directly so that each test states what it depends on. */
public final class TestConfigs {

  private TestConfigs() {}

  /** A configuration with the given windows, grace and idle close, every other key at default. */
  public static ModelmonConfig config(
      final String windows, final Duration grace, final Duration idleClose) {
    return config(windows, grace, idleClose, 1000);
  }

  /** As {@link #config(String, Duration, Duration)}, with {@code modelmon.max.models}. */
  public static ModelmonConfig config(
      final String windows, final Duration grace, final Duration idleClose, final int maxModels) {
    return config(windows, grace, idleClose, maxModels, 1000, 50);
  }

  /**
   * As {@link #config(String, Duration, Duration)}, with the cardinality limits {@code
   * modelmon.max.models}, {@code modelmon.max.classes} and {@code modelmon.metrics.max.classes}.
   */
  public static ModelmonConfig config(
      final String windows,
      final Duration grace,
      final Duration idleClose,
      final int maxModels,
      final int maxClasses,
      final int metricsMaxClasses) {
    final List<WindowSpec> specs =
        Arrays.stream(windows.split(","))
            .map(label -> new WindowSpec(label, Durations.parse(label)))
            .toList();
    return new ModelmonConfig(
        "localhost:9092",
        "modelmon-test",
        Optional.empty(),
        "exactly_once_v2",
        "predictions",
        "predictions-dlq",
        "model-references",
        "model-window-metrics",
        "model-drift-alarms",
        specs,
        grace,
        idleClose,
        1e-15,
        1e-3,
        maxClasses,
        Duration.ofHours(1),
        maxModels,
        metricsMaxClasses,
        10,
        new DetectorSettings(specs.get(0).label(), 20, 60, 50, 0.5, 9),
        new LabelSettings("labels", Duration.ofDays(1), Duration.ofMinutes(5)),
        "127.0.0.1",
        0,
        Map.of());
  }

  /** {@code config} with the drift detector's settings {@code detector}. */
  public static ModelmonConfig withDetector(
      final ModelmonConfig config, final DetectorSettings detector) {
    return with(config, detector, config.labels());
  }

  /** {@code config} with the join bounds {@code modelmon.labels.horizon} and {@code early}. */
  public static ModelmonConfig withLabelBounds(
      final ModelmonConfig config, final Duration horizon, final Duration early) {
    return with(
        config, config.detector(), new LabelSettings(config.labels().topic(), horizon, early));
  }

  private static ModelmonConfig with(
      final ModelmonConfig config, final DetectorSettings detector, final LabelSettings labels) {
    return new ModelmonConfig(
        config.bootstrapServers(),
        config.applicationId(),
        config.stateDir(),
        config.processingGuarantee(),
        config.predictionsTopic(),
        config.dlqTopic(),
        config.referencesTopic(),
        config.windowsTopic(),
        config.alarmsTopic(),
        config.windows(),
        config.grace(),
        config.idleClose(),
        config.epsilon(),
        config.probabilityTolerance(),
        config.maxClasses(),
        config.maxFutureSkew(),
        config.maxModels(),
        config.metricsMaxClasses(),
        config.calibrationBins(),
        detector,
        labels,
        config.httpHost(),
        config.httpPort(),
        config.kafka());
  }
}
