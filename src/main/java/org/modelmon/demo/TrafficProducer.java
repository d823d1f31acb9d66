package org.modelmon.demo;

import java.time.Duration;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a {@link TrafficGenerator}'s events to the predictions topic at a steady rate, on a thread
 * of its own, until {@link #close()}; the label events of models whose labels come later go to the
 * labels topic when their outcome time has come (those not yet due at close are dropped).
 *
 * <p>The pace is kept against {@link System#nanoTime()}: the thread sends whatever is due, then
 * sleeps until the next event is (at least a millisecond, so that high rates send small bursts
 * instead of spinning). After a stall longer than a second (a broker pause, a long GC) it does not
 * try to catch up, which would flood the topic with a burst of events.
 */
public final class TrafficProducer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrafficProducer.class);
  private static final long MIN_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final String labelsTopic;
  private final PriorityQueue<DemoEvent.LaterLabel> laterLabels =
      new PriorityQueue<>(Comparator.comparingLong(DemoEvent.LaterLabel::outcomeTimeMillis));
  private final TrafficGenerator generator;
  private final double ratePerSecond;
  private final long driftAfterNanos;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong labelsSent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Thread thread;
  private volatile long startNanos;
  private volatile long startMillis;
  private volatile boolean drifting;

  private TrafficProducer(
      final Producer<byte[], byte[]> producer,
      final String topic,
      final String labelsTopic,
      final TrafficGenerator generator,
      final double ratePerSecond,
      final Duration driftAfter) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("rate must be positive: " + ratePerSecond);
    }
    this.producer = producer;
    this.topic = topic;
    this.labelsTopic = labelsTopic;
    this.generator = generator;
    this.ratePerSecond = ratePerSecond;
    this.driftAfterNanos = driftAfter.toNanos();
    this.thread = new Thread(this::run, "demo-traffic");
    this.thread.setDaemon(true);
  }

  /**
   * Starts sending to {@code topic}, and label events to {@code labelsTopic}, on {@code
   * bootstrapServers} with an idempotent producer.
   *
   * @param ratePerSecond events per second, over all models
   * @param driftAfter how long after the start the drifting models change
   */
  public static TrafficProducer start(
      final String bootstrapServers,
      final String topic,
      final String labelsTopic,
      final TrafficGenerator generator,
      final double ratePerSecond,
      final Duration driftAfter) {
    final Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(ProducerConfig.CLIENT_ID_CONFIG, "modelmon-demo-traffic");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    // A send must never hold up shutdown for the default minute when the broker is gone.
    properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    return start(
        new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer()),
        topic,
        labelsTopic,
        generator,
        ratePerSecond,
        driftAfter);
  }

  /** Starts sending with {@code producer}, which {@link #close()} closes. */
  static TrafficProducer start(
      final Producer<byte[], byte[]> producer,
      final String topic,
      final String labelsTopic,
      final TrafficGenerator generator,
      final double ratePerSecond,
      final Duration driftAfter) {
    final TrafficProducer traffic =
        new TrafficProducer(producer, topic, labelsTopic, generator, ratePerSecond, driftAfter);
    traffic.startNanos = System.nanoTime();
    traffic.startMillis = System.currentTimeMillis();
    traffic.thread.start();
    return traffic;
  }

  /** Events handed to the producer so far. */
  public long sent() {
    return sent.get();
  }

  /** Label events handed to the producer so far. */
  public long labelsSent() {
    return labelsSent.get();
  }

  /** Events the broker did not acknowledge. */
  public long failed() {
    return failed.get();
  }

  /** Whether the drifting models have changed yet. */
  public boolean drifting() {
    return drifting;
  }

  /** Time since sending started. */
  public Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /**
   * When sending started, in epoch milliseconds: the wall clock the events' timestamps are read
   * from, so that an event time minus this is its time into the demo.
   */
  public long startMillis() {
    return startMillis;
  }

  private void run() {
    long count = 0;
    try {
      while (stop.getCount() > 0) {
        final long elapsed = System.nanoTime() - startNanos;
        drifting = elapsed >= driftAfterNanos;
        long due = (long) (elapsed / 1e9 * ratePerSecond);
        if (due - count > ratePerSecond) {
          count = due - (long) ratePerSecond; // stalled: skip what a second cannot hold
        }
        while (count < due && stop.getCount() > 0) {
          send(generator.next(System.currentTimeMillis(), drifting));
          count++;
        }
        sendDueLabels(System.currentTimeMillis());
        final long nextDue = startNanos + (long) Math.ceil((count + 1) * 1e9 / ratePerSecond);
        final long sleep = Math.max(nextDue - System.nanoTime(), MIN_SLEEP_NANOS);
        if (stop.await(sleep, TimeUnit.NANOSECONDS)) {
          break;
        }
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (final RuntimeException e) {
      LOG.atError().setCause(e).log("Demo traffic stopped");
    }
  }

  private void send(final DemoEvent event) {
    producer.send(new ProducerRecord<>(topic, event.key(), event.value()), this::onSent);
    sent.incrementAndGet();
    if (event.laterLabel() != null) {
      laterLabels.add(event.laterLabel());
    }
  }

  private void sendDueLabels(final long nowMillis) {
    while (!laterLabels.isEmpty() && laterLabels.peek().outcomeTimeMillis() <= nowMillis) {
      final DemoEvent.LaterLabel label = laterLabels.poll();
      producer.send(
          new ProducerRecord<>(
              labelsTopic, null, label.outcomeTimeMillis(), label.key(), label.value()),
          this::onSent);
      labelsSent.incrementAndGet();
    }
  }

  private void onSent(final RecordMetadata metadata, final Exception exception) {
    if (exception != null && failed.getAndIncrement() == 0) {
      // Once: a broker that is gone would otherwise log every event.
      LOG.atWarn().addKeyValue("error", exception.toString()).log("Demo event not sent");
    }
  }

  /** Stops sending, waits for the thread, and closes the producer. Idempotent. */
  @Override
  public void close() {
    stop.countDown();
    try {
      thread.join(CLOSE_TIMEOUT.toMillis());
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(CLOSE_TIMEOUT);
  }
}
