package org.modelmon.cli;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.modelmon.TopicSetup;
import org.modelmon.config.ConfigException;
import org.modelmon.config.Durations;
import org.modelmon.config.ModelmonConfig;

/**
 * Writes one record to the references topic and waits until the cluster has it: creates the topic
 * (compacted) when it is missing, then sends with an idempotent producer and {@code acks=all}.
 */
final class ReferencePublisher {

  private final ModelmonConfig config;
  private final Duration timeout;

  /**
   * @param config where to publish: {@code modelmon.bootstrap.servers}, {@code
   *     modelmon.topic.references} and the {@code kafka.*} client settings
   * @param timeout how long setting up the topic and sending may take together
   */
  ReferencePublisher(final ModelmonConfig config, final Duration timeout) {
    this.config = config;
    this.timeout = timeout;
  }

  /**
   * Publishes {@code record} and returns once every in-sync replica has it.
   *
   * @param effectiveFromMillis the record timestamp: the reference is in force from then on
   * @throws PublishException when the cluster cannot be reached in time or refuses the record
   * @throws ConfigException when the {@code kafka.*} settings cannot make a client
   */
  void publish(final ReferenceRecord record, final long effectiveFromMillis)
      throws InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(adminProperties())) {
      TopicSetup.ensureReferencesTopic(admin, config);
    } catch (final ExecutionException e) {
      throw failure("cannot set up topic " + config.referencesTopic(), e.getCause());
    } catch (final KafkaException e) {
      throw clientFailure(e);
    }
    final long remainingMillis = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    final KafkaProducer<String, byte[]> producer;
    try {
      producer =
          new KafkaProducer<>(
              producerProperties(remainingMillis),
              new StringSerializer(),
              new ByteArraySerializer());
    } catch (final KafkaException e) {
      throw clientFailure(e);
    }
    boolean sent = false;
    try {
      producer
          .send(
              new ProducerRecord<>(
                  config.referencesTopic(),
                  null,
                  effectiveFromMillis,
                  record.key(),
                  record.value()))
          .get(remainingMillis, TimeUnit.MILLISECONDS);
      sent = true;
    } catch (final ExecutionException e) {
      throw failure("cannot publish to " + config.referencesTopic(), e.getCause());
    } catch (final TimeoutException e) {
      throw failure("cannot publish to " + config.referencesTopic(), e);
    } catch (final KafkaException e) {
      throw failure("cannot publish to " + config.referencesTopic(), e);
    } finally {
      // After a failure do not wait for the record: the command has reported it as not published.
      producer.close(sent ? timeout : Duration.ZERO);
    }
  }

  private Properties adminProperties() {
    final Properties properties = new Properties();
    properties.putAll(config.kafka());
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    return properties;
  }

  private Properties producerProperties(final long timeoutMillis) {
    final Properties properties = new Properties();
    properties.putAll(config.kafka());
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    // One record: nothing to batch, and delivery.timeout.ms ≥ linger.ms + request.timeout.ms.
    properties.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMillis);
    properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeoutMillis);
    properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeoutMillis);
    return properties;
  }

  private PublishException failure(final String what, final Throwable cause) {
    final String reason =
        cause instanceof TimeoutException
                || cause instanceof org.apache.kafka.common.errors.TimeoutException
            ? "no answer from the Kafka cluster at "
                + config.bootstrapServers()
                + " within "
                + Durations.format(timeout)
                + " (modelmon.bootstrap.servers; is it reachable?)"
            : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    return new PublishException(what + ": " + reason);
  }

  /** A client that cannot even be built: a bad kafka.* setting, an unresolvable address. */
  private static ConfigException clientFailure(final KafkaException e) {
    // "Failed to construct kafka producer" says nothing; the innermost cause says what is wrong.
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return new ConfigException("cannot create a Kafka client: " + cause.getMessage(), e);
  }

  /**
   * Thrown when the record could not be published; the message is one line naming the topic and
   * why. Exit status 1: the input was fine, the cluster was not.
   */
  static final class PublishException extends RuntimeException {
    PublishException(final String message) {
      super(message.replaceAll("\\R", " "));
    }
  }
}
