package org.modelmon.demo;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.modelmon.detector.AlarmRecord;
import org.modelmon.detector.DetectorState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the alarms topic on a thread of its own and prints an {@link AlarmLine} per change of a
 * detector's state, until {@link #close()}.
 *
 * <p>The topic rather than the application's state: each record is the change itself, so a line per
 * record is a line per change, none missed however briefly a state lasts and none printed twice,
 * with the change start and baseline the record carries. The consumer reads committed records only:
 * the application writes them in exactly-once transactions, and a record of an aborted transaction
 * is a change that did not happen. It uses no consumer group (nothing to commit or rebalance); the
 * records already on the topic when it starts (a demo restarted on a kept data directory) are read
 * to learn each detector's last state, and not printed.
 */
final class AlarmWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AlarmWatch.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final KafkaConsumer<String, String> consumer;
  private final String topic;
  private final TrafficProducer traffic;
  private final Consumer<String> print;
  private final Map<String, DetectorState> states = new HashMap<>(); // watch thread only
  private final Thread thread;
  private volatile boolean stopping;

  private AlarmWatch(
      final String bootstrapServers,
      final String topic,
      final TrafficProducer traffic,
      final Consumer<String> print) {
    final Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "modelmon-demo-alarms");
    properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    properties.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
    this.consumer =
        new KafkaConsumer<>(properties, new StringDeserializer(), new StringDeserializer());
    this.topic = topic;
    this.traffic = traffic;
    this.print = print;
    this.thread = new Thread(this::run, "demo-alarms");
    this.thread.setDaemon(true);
  }

  /**
   * Starts reading {@code topic}; returns at once, the consumer connects on its own thread.
   *
   * @param traffic the demo's traffic, whose clock the lines are timed by
   * @param print takes each line
   */
  static AlarmWatch start(
      final String bootstrapServers,
      final String topic,
      final TrafficProducer traffic,
      final Consumer<String> print) {
    final AlarmWatch watch = new AlarmWatch(bootstrapServers, topic, traffic, print);
    watch.thread.start();
    return watch;
  }

  private void run() {
    try {
      final Map<TopicPartition, Long> caughtUp = assign();
      while (!stopping) {
        for (final ConsumerRecord<String, String> record : consumer.poll(POLL)) {
          final Long end = caughtUp.get(new TopicPartition(record.topic(), record.partition()));
          handle(record.value(), end == null || record.offset() >= end);
        }
      }
    } catch (final WakeupException e) {
      // closing
    } catch (final RuntimeException e) {
      if (!stopping) {
        LOG.atWarn().setCause(e).log("The demo stopped reading the alarms topic");
      }
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** Assigns every partition from its start; returns each one's end offset now. */
  private Map<TopicPartition, Long> assign() {
    List<PartitionInfo> partitions = List.of();
    while (!stopping && partitions.isEmpty()) {
      // The application created the topic before the demo started this; a fresh broker's
      // metadata can lag behind it for a moment.
      try {
        final List<PartitionInfo> found = consumer.partitionsFor(topic);
        partitions = found == null ? List.of() : found;
      } catch (final TimeoutException e) {
        LOG.atDebug().log("No metadata of the alarms topic yet; asking again");
      }
    }
    final List<TopicPartition> assigned =
        partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(assigned);
    consumer.seekToBeginning(assigned);
    return consumer.endOffsets(assigned);
  }

  private void handle(final String value, final boolean news) {
    final AlarmRecord change;
    try {
      change = JSON.readValue(value, AlarmRecord.class);
    } catch (final Exception e) {
      LOG.atDebug().setCause(e).log("Not an alarm record");
      return;
    }
    final DetectorState state;
    try {
      state = DetectorState.valueOf(change.state());
    } catch (final IllegalArgumentException | NullPointerException e) {
      return;
    }
    final DetectorState previous = states.put(change.topicKey(), state);
    if (news) {
      print.accept(AlarmLine.format(change, previous, traffic.elapsed(), traffic.startMillis()));
    }
  }

  /** Stops reading and waits for the thread, which closes the consumer. Idempotent. */
  @Override
  public void close() {
    stopping = true;
    consumer.wakeup();
    try {
      thread.join(JOIN_TIMEOUT.toMillis());
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
