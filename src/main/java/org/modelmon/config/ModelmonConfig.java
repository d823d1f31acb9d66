package org.modelmon.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The validated configuration of one modelmon instance (CONTRACT.md section 7).
 *
 * <p>Built only by {@link ConfigLoader}, which applies defaults, the properties file, environment
 * variables and command-line flags in that order and rejects bad values with the key's name.
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
 * @param windows {@code modelmon.windows}, distinct sizes, in configured order
 * @param grace {@code modelmon.window.grace}
 * @param idleClose {@code modelmon.window.idle.close}
 * @param epsilon {@code modelmon.epsilon}
 * @param probabilityTolerance {@code modelmon.probability.tolerance}
 * @param maxClasses {@code modelmon.max.classes}
 * @param maxFutureSkew {@code modelmon.max.future.skew}
 * @param maxModels {@code modelmon.max.models}
 * @param metricsMaxClasses {@code modelmon.metrics.max.classes}
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
    List<WindowSpec> windows,
    Duration grace,
    Duration idleClose,
    double epsilon,
    double probabilityTolerance,
    int maxClasses,
    Duration maxFutureSkew,
    int maxModels,
    int metricsMaxClasses,
    String httpHost,
    int httpPort,
    Map<String, String> kafka) {

  public ModelmonConfig {
    windows = List.copyOf(windows);
    kafka = Map.copyOf(kafka);
  }

  /** The configuration with every key at its default. */
  public static ModelmonConfig defaults() {
    return ConfigLoader.load(Optional.empty(), Map.of(), Map.of());
  }
}
