package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.modelmon.config.ConfigLoader;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.state.BoundedMemoryRocksDBConfig;

class StreamsPropertiesTest {

  private static Properties streamsProperties(final Map<String, String> flags) {
    return ModelmonTopology.streamsProperties(
        ConfigLoader.load(Optional.empty(), Map.of(), flags),
        ModelmonMetrics.register(new PrometheusRegistry(), 50, 10));
  }

  @Test
  void exactlyOnceCommitsOncePerFlushIntervalInsteadOfKafkasHundredMilliseconds() {
    final Properties properties = streamsProperties(Map.of());

    assertThat(properties.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
        .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    assertThat(properties.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG))
        .isEqualTo(ModelmonTopology.FLUSH_INTERVAL.toMillis());
  }

  @Test
  void aKafkaCommitIntervalSettingWins() {
    final Properties properties = streamsProperties(Map.of("kafka.commit.interval.ms", "250"));

    assertThat(properties.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo("250");
  }

  @Test
  void atLeastOnceKeepsKafkasOwnCommitInterval() {
    final Properties properties =
        streamsProperties(Map.of("modelmon.processing.guarantee", "at_least_once"));

    assertThat(properties).doesNotContainKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
  }

  @Test
  void shouldBoundRocksDbMemoryByDefault() {
    final Properties properties = streamsProperties(Map.of());

    assertThat(properties.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(BoundedMemoryRocksDBConfig.class);
    // The bound itself reaches the setter through Kafka Streams' settings.
    assertThat(
            streamsProperties(Map.of("kafka.rocksdb.total.memory.bytes", "134217728"))
                .get(BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG))
        .isEqualTo("134217728");
  }

  @Test
  void aKafkaRocksDbConfigSetterWins() {
    final Properties properties =
        streamsProperties(Map.of("kafka.rocksdb.config.setter", "com.example.MyRocksDBConfig"));

    assertThat(properties.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo("com.example.MyRocksDBConfig");
  }

  @Test
  void shouldWaitForReportsLongerThanTheCommitsThatMakeThemVisible() {
    assertThat(ModelmonTopology.reportTimeout(config(Map.of()))).isEqualTo(Duration.ofSeconds(10));
    assertThat(ModelmonTopology.reportTimeout(config(Map.of("kafka.commit.interval.ms", "30000"))))
        .as("exactly-once: a report is seen only when its transaction commits")
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(
            ModelmonTopology.reportTimeout(
                config(
                    Map.of(
                        "kafka.commit.interval.ms", "30000",
                        "modelmon.processing.guarantee", "at_least_once"))))
        .as("at-least-once: reports are seen when sent")
        .isEqualTo(Duration.ofSeconds(10));
  }

  private static ModelmonConfig config(final Map<String, String> flags) {
    return ConfigLoader.load(Optional.empty(), Map.of(), flags);
  }
}
