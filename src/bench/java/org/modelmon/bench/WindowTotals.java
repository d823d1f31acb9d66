package org.modelmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the final windows modelmon publishes (committed records only) and adds up their {@code
 * predictions} per window size, the sentinel model left out: when every size holds all the
 * benchmark's events, every event is reflected in the windows.
 */
final class WindowTotals implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, Long> predictionsByWindow = new TreeMap<>();

  WindowTotals(final String bootstrapServers, final String windowsTopic) {
    this.consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
    final TopicPartition partition = new TopicPartition(windowsTopic, 0);
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
  }

  /** Reads what has arrived, waiting at most {@code timeout}. */
  void poll(final Duration timeout) {
    for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
      final JsonNode window;
      try {
        window = JSON.readTree(record.value());
      } catch (final IOException e) {
        throw new UncheckedIOException("modelmon published a window that is not JSON", e);
      }
      if (!BenchTopic.SENTINEL_MODEL.equals(window.path("model").asText())) {
        predictionsByWindow.merge(
            window.path("window").asText(), window.path("predictions").asLong(), Long::sum);
      }
    }
  }

  /** Whether each of {@code windows} holds exactly {@code events} predictions. */
  boolean complete(final List<String> windows, final long events) {
    return windows.stream().allMatch(w -> predictionsByWindow.getOrDefault(w, 0L) == events);
  }

  Map<String, Long> predictionsByWindow() {
    return Map.copyOf(predictionsByWindow);
  }

  @Override
  public void close() {
    consumer.close();
  }
}
