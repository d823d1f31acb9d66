package org.modelmon.admission;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.modelmon.window.ModelKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's admitted (model, version) pairs, kept on a log topic that all its instances
 * share: the first {@code maxModels} distinct pairs claimed on the log, in log order.
 *
 * <p>To admit a pair it does not know yet, an instance appends a claim for it and reads the log up
 * to that claim. Every instance reading the same log reaches the same set, and a restart reads it
 * again, so a pair admitted once is admitted everywhere and for good. Once the set is full it can
 * no longer change, so a refusal then needs no I/O; an admitted pair never does. The blocking
 * round trip happens at most once per new pair while the set fills.
 *
 * <p>The log must not be compacted: compaction would move a pair claimed twice (two instances
 * racing for it) to its later claim and could change the order. It holds at most one claim per
 * pair and racing task while the set fills, and none after.
 */
public final class AdmissionLog implements ModelAdmission, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdmissionLog.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final TopicPartition log;
  private final int maxModels;
  private final Duration timeout;
  private final Producer<String, String> producer;
  private final Consumer<String, String> consumer;
  private final Set<ModelKey> admitted = ConcurrentHashMap.newKeySet();

  AdmissionLog(
      final String topic,
      final int maxModels,
      final Duration timeout,
      final Producer<String, String> producer,
      final Consumer<String, String> consumer) {
    this.log = new TopicPartition(topic, 0);
    this.maxModels = maxModels;
    this.timeout = timeout;
    this.producer = producer;
    this.consumer = consumer;
    consumer.assign(List.of(log));
    consumer.seekToBeginning(List.of(log));
  }

  /**
   * Opens the admission log on {@code topic} (one partition, never compacted), with Kafka client
   * settings {@code kafka} (bootstrap servers, security).
   *
   * @param maxModels how many pairs the application admits ({@code modelmon.max.models})
   * @param timeout how long a claim may take before {@link #admit} gives up with a retriable error
   */
  public static AdmissionLog open(
      final String topic,
      final int maxModels,
      final Map<String, Object> kafka,
      final Duration timeout) {
    final Properties producerSettings = new Properties();
    producerSettings.putAll(kafka);
    producerSettings.put(ProducerConfig.ACKS_CONFIG, "all");
    producerSettings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerSettings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
    final Properties consumerSettings = new Properties();
    consumerSettings.putAll(kafka);
    consumerSettings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new AdmissionLog(
        topic,
        maxModels,
        timeout,
        new KafkaProducer<>(producerSettings, new StringSerializer(), new StringSerializer()),
        new KafkaConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer()));
  }

  @Override
  public boolean admit(final ModelKey key) {
    if (admitted.contains(key)) {
      return true;
    }
    synchronized (this) {
      if (admitted.contains(key)) {
        return true;
      }
      if (admitted.size() >= maxModels) {
        return false;
      }
      readThrough(claim(key));
      final boolean result = admitted.contains(key);
      LOG.atDebug()
          .addKeyValue("model", key.model())
          .addKeyValue("version", key.version())
          .addKeyValue("admitted", result)
          .log("Model admission decided");
      if (admitted.size() >= maxModels) {
        LOG.atInfo()
            .addKeyValue("maxModels", maxModels)
            .log("Model admission is full: events of any other model and version are refused");
      }
      return result;
    }
  }

  /** Appends a claim for {@code key}; returns its offset. */
  private long claim(final ModelKey key) {
    try {
      return producer
          .send(new ProducerRecord<>(log.topic(), log.partition(), key.qualifiedName(), null))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .offset();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KafkaException kafka) {
        throw kafka;
      }
      throw new KafkaException("cannot claim admission of " + key.qualifiedName(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TimeoutException(
          "no acknowledgement of the admission claim of " + key.qualifiedName() + " in " + timeout,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  /** Reads the log until past {@code offset}, adding each new pair while the set is not full. */
  private void readThrough(final long offset) {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (consumer.position(log, remaining(deadline, offset)) <= offset) {
      for (final ConsumerRecord<String, String> record : consumer.poll(POLL)) {
        if (admitted.size() < maxModels) {
          admitted.add(ModelKey.parseQualifiedName(record.key()));
        }
      }
    }
  }

  private Duration remaining(final long deadlineNanos, final long offset) {
    final long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new TimeoutException(
          "admission log " + log + " not read up to offset " + offset + " in " + timeout);
    }
    return Duration.ofNanos(left);
  }

  /**
   * Closes the clients. Waits for a decision under way (at most the timeout), so that a stream
   * thread still deciding when the stream's close gave up on it never shares the consumer with
   * this thread; failures are logged, so that the caller's own shutdown goes on.
   */
  @Override
  public synchronized void close() {
    try {
      producer.close(Duration.ofSeconds(5));
      consumer.close();
    } catch (RuntimeException e) {
      LOG.atWarn().setCause(e).log("Closing the admission log's clients failed");
    }
  }
}
