package org.modelmon.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.modelmon.demo.DemoEvent;
import org.modelmon.demo.DemoModels;
import org.modelmon.demo.SyntheticModel;
import org.modelmon.demo.TrafficGenerator;

/**
 * A predictions topic filled once with a benchmark's events, and the references of its models.
 *
 * <p>Event times run evenly, in order, over {@link #EVENT_SPAN} of whole hours in the past, so
 * every window of every size is complete. A last event per partition, of the model {@link
 * #SENTINEL_MODEL} and past the span by more than the grace, moves every partition's stream time
 * beyond the last window, so all windows become final as soon as the data is processed (not a
 * minute later by idleness): the benchmark then times processing, not waiting.
 *
 * @param predictions the predictions topic
 * @param references the references topic, one record per model
 * @param events the benchmark's events, sentinels not included
 * @param partitions partitions of the predictions topic
 * @param bytes total size of the events' values
 */
record BenchTopic(String predictions, String references, long events, int partitions, long bytes) {

  /** The model of the sentinel events; it is left out of every figure. */
  static final String SENTINEL_MODEL = "bench-sentinel";

  /** Event time covered by the events. */
  static final Duration EVENT_SPAN = Duration.ofHours(1);

  /** Fills a new topic {@code name} with {@code events} events of {@code models}. */
  static BenchTopic load(
      final String bootstrapServers,
      final String name,
      final int partitions,
      final List<SyntheticModel> models,
      final long events,
      final Progress progress)
      throws ExecutionException, InterruptedException {
    final String referencesTopic = create(bootstrapServers, name, partitions);
    // Two whole hours back, so the last window (1h) ends well before now.
    final long startMillis =
        Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(2)).toEpochMilli();
    final long spanMillis = EVENT_SPAN.toMillis();
    final TrafficGenerator generator = new TrafficGenerator(models, 0.0, 42L);
    final AtomicReference<Exception> failure = new AtomicReference<>();
    long bytes = 0;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(producerProperties(bootstrapServers))) {
      publishReferences(producer, referencesTopic, models);
      for (long i = 0; i < events; i++) {
        final DemoEvent event = generator.next(startMillis + i * spanMillis / events, false);
        bytes += event.value().length;
        producer.send(
            new ProducerRecord<>(name, event.key(), event.value()),
            (metadata, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              }
            });
        if (failure.get() != null) {
          throw new IllegalStateException("producing the benchmark's events failed", failure.get());
        }
        progress.report(i + 1, events);
      }
      final long sentinelMillis = startMillis + spanMillis + Duration.ofMinutes(2).toMillis();
      for (int partition = 0; partition < partitions; partition++) {
        producer.send(new ProducerRecord<>(name, partition, null, null, sentinel(sentinelMillis)));
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("producing the benchmark's events failed", failure.get());
    }
    return new BenchTopic(name, referencesTopic, events, partitions, bytes);
  }

  /**
   * Creates the predictions topic {@code name} and its compacted references topic {@code
   * name-references}; returns the latter's name.
   */
  static String create(final String bootstrapServers, final String name, final int partitions)
      throws ExecutionException, InterruptedException {
    final String referencesTopic = name + "-references";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(name, partitions, (short) 1),
                  new NewTopic(referencesTopic, 1, (short) 1)
                      .configs(
                          Map.of(
                              TopicConfig.CLEANUP_POLICY_CONFIG,
                              TopicConfig.CLEANUP_POLICY_COMPACT))))
          .all()
          .get();
    }
    return referencesTopic;
  }

  /** Sends each model's reference: its label mix, as the demo does. */
  static void publishReferences(
      final KafkaProducer<byte[], byte[]> producer,
      final String referencesTopic,
      final List<SyntheticModel> models) {
    DemoModels.references(models)
        .forEach(
            (key, value) ->
                producer.send(
                    new ProducerRecord<>(
                        referencesTopic, key.getBytes(StandardCharsets.UTF_8), value)));
  }

  private static byte[] sentinel(final long eventTimeMillis) {
    return ("{\"model\":\""
            + SENTINEL_MODEL
            + "\",\"timestamp\":"
            + eventTimeMillis
            + ",\"score\":0.5,\"label\":1}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static Properties producerProperties(final String bootstrapServers) {
    final Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    properties.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    properties.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    return properties;
  }
}
