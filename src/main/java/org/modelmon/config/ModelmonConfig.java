package org.modelmon.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.modelmon.detector.DetectorSettings;

/**
 * The validated configuration of one modelmon instance (docs/reference.md#configuration).
 *
 * <p>Built only by {@link ConfigLoader}, which applies defaults, the properties file, environment
 * variables and command-line flags in that order and rejects bad values with the key's name.
 *
 * <p>{@link #toString()} is {@link #describe()}, so that logging a configuration never leaks a
 * Kafka password.
 *
 * @param bootstrapServers {@code modelmon.bootstrap.servers}
 * @param applicationId {@code modelmon.application.id}
 * @param stateDir {@code modelmon.state.dir}; empty for Kafka Streams' default
 * @param processingGuarantee {@code modelmon.processing.guarantee}: {@code exactly_once_v2} or
 *     {@code at_least_once}
 * @param predictionsTopic {@code modelmon.topic.predictions}
 * @param dlqTopic {@code modelmon.topic.dlq}
 * @param referencesTopic {@code modelmon.topic.references}
 * @param windowsTopic {@code modelmon.topic.windows}
 * @param alarmsTopic {@code modelmon.topic.alarms}
 * @param windows {@code modelmon.windows}, distinct sizes, in configured order
 * @param grace {@code modelmon.window.grace}
 * @param idleClose {@code modelmon.window.idle.close}
 * @param epsilon {@code modelmon.epsilon}
 * @param probabilityTolerance {@code modelmon.probability.tolerance}
 * @param maxClasses {@code modelmon.max.classes}
 * @param maxFutureSkew {@code modelmon.max.future.skew}
 * @param maxModels {@code modelmon.max.models}
 * @param metricsMaxClasses {@code modelmon.metrics.max.classes}
 * @param calibrationBins {@code modelmon.calibration.bins}: B, the top-label confidence bins
 * @param detector the {@code modelmon.detector.*} settings
 * @param labels the labels topic and the {@code modelmon.labels.*} join bounds
 * @param httpHost {@code modelmon.http.host}
 * @param httpPort {@code modelmon.http.port} (0 picks a free port)
 * @param kafka every {@code kafka.*} key, without the prefix, passed to the Kafka clients
 */
public record ModelmonConfig(
    String bootstrapServers,
    String applicationId,
    Optional<String> stateDir,
    String processingGuarantee,
    String predictionsTopic,
    String dlqTopic,
    String referencesTopic,
    String windowsTopic,
    String alarmsTopic,
    List<WindowSpec> windows,
    Duration grace,
    Duration idleClose,
    double epsilon,
    double probabilityTolerance,
    int maxClasses,
    Duration maxFutureSkew,
    int maxModels,
    int metricsMaxClasses,
    int calibrationBins,
    DetectorSettings detector,
    LabelSettings labels,
    String httpHost,
    int httpPort,
    Map<String, String> kafka) {

  /** Shown instead of the value of a Kafka setting that may hold a secret. */
  public static final String HIDDEN = "[hidden]";

  // Matched against the Kafka key: sasl.jaas.config, ssl.key.password, sasl.oauthbearer.token...
  // "key" also hides a few harmless values (ssl.keystore.type); showing a secret would be worse.
  private static final List<String> SECRET_WORDS =
      List.of("password", "secret", "jaas", "token", "key");

  public ModelmonConfig {
    windows = List.copyOf(windows);
    kafka = Map.copyOf(kafka);
  }

  /** The configuration with every key at its default. */
  public static ModelmonConfig defaults() {
    return ConfigLoader.load(Optional.empty(), Map.of(), Map.of());
  }

  /**
   * The effective configuration on one line, for the start-up log: {@code key=value} pairs joined
   * by {@code ", "}, every {@code modelmon.*} key in the syntax of the configuration, then the
   * {@code kafka.*} keys in alphabetical order. The value of a Kafka key that contains {@code
   * password}, {@code secret}, {@code jaas}, {@code token} or {@code key} (in any case) is shown as
   * {@value #HIDDEN}. Line breaks and other control characters in values are escaped.
   */
  public String describe() {
    final StringJoiner out = new StringJoiner(", ");
    out.add("modelmon.bootstrap.servers=" + Texts.escape(bootstrapServers));
    out.add("modelmon.application.id=" + applicationId);
    stateDir.ifPresent(dir -> out.add("modelmon.state.dir=" + Texts.escape(dir)));
    out.add("modelmon.processing.guarantee=" + processingGuarantee);
    out.add("modelmon.topic.predictions=" + predictionsTopic);
    out.add("modelmon.topic.dlq=" + dlqTopic);
    out.add("modelmon.topic.references=" + referencesTopic);
    out.add("modelmon.topic.windows=" + windowsTopic);
    out.add("modelmon.topic.alarms=" + alarmsTopic);
    out.add("modelmon.topic.labels=" + labels.topic());
    out.add(
        "modelmon.windows="
            + windows.stream().map(WindowSpec::label).collect(Collectors.joining(",")));
    out.add("modelmon.window.grace=" + Durations.format(grace));
    out.add("modelmon.window.idle.close=" + Durations.format(idleClose));
    out.add("modelmon.epsilon=" + epsilon);
    out.add("modelmon.probability.tolerance=" + probabilityTolerance);
    out.add("modelmon.max.classes=" + maxClasses);
    out.add("modelmon.max.future.skew=" + Durations.format(maxFutureSkew));
    out.add("modelmon.max.models=" + maxModels);
    out.add("modelmon.metrics.max.classes=" + metricsMaxClasses);
    out.add("modelmon.calibration.bins=" + calibrationBins);
    out.add("modelmon.detector.window=" + detector.window());
    out.add("modelmon.detector.min.labelled=" + detector.minLabelled());
    out.add("modelmon.detector.warmup=" + detector.warmup());
    out.add("modelmon.detector.min.bin=" + detector.minBin());
    out.add("modelmon.detector.k=" + detector.k());
    out.add("modelmon.detector.h=" + detector.h());
    out.add("modelmon.labels.horizon=" + Durations.format(labels.horizon()));
    out.add("modelmon.labels.early=" + Durations.format(labels.early()));
    out.add("modelmon.http.host=" + Texts.escape(httpHost));
    out.add("modelmon.http.port=" + httpPort);
    new TreeMap<>(kafka)
        .forEach(
            (key, value) ->
                out.add(
                    "kafka."
                        + Texts.escape(key)
                        + "="
                        + (isSecret(key) ? HIDDEN : Texts.escape(value))));
    return out.toString();
  }

  /** The same as {@link #describe()}: secrets hidden. */
  @Override
  public String toString() {
    return "ModelmonConfig[" + describe() + "]";
  }

  private static boolean isSecret(final String kafkaKey) {
    final String lower = kafkaKey.toLowerCase(Locale.ROOT);
    return SECRET_WORDS.stream().anyMatch(lower::contains);
  }
}
