package org.modelmon.bench;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.modelmon.demo.DemoEvent;
import org.modelmon.demo.SyntheticModel;
import org.modelmon.demo.TrafficGenerator;

/**
 * Live traffic on a thread of its own: events stamped with the wall clock, sent either at a fixed
 * rate or as fast as modelmon takes them, keeping at most {@code maxBacklog} events ahead of what
 * it has counted (so "full rate" never turns into gigabytes of backlog on disk).
 */
final class LiveTraffic implements AutoCloseable {

  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  /**
   * @param eventsPerSecond the rate, or 0 for as fast as {@code counted} allows
   * @param counted what modelmon has counted so far (read with the backlog limit)
   */
  LiveTraffic(
      final String bootstrapServers,
      final String topic,
      final List<SyntheticModel> models,
      final double eventsPerSecond,
      final long maxBacklog,
      final LongSupplier counted) {
    this.thread =
        new Thread(
            () -> run(bootstrapServers, topic, models, eventsPerSecond, maxBacklog, counted),
            "bench-live-traffic");
    thread.setDaemon(true);
  }

  LiveTraffic start() {
    thread.start();
    return this;
  }

  long sent() {
    return sent.get();
  }

  /** Throws what stopped the traffic, if anything did. */
  void check() {
    if (failure.get() != null) {
      throw new IllegalStateException("live traffic failed", failure.get());
    }
  }

  private void run(
      final String bootstrapServers,
      final String topic,
      final List<SyntheticModel> models,
      final double eventsPerSecond,
      final long maxBacklog,
      final LongSupplier counted) {
    final TrafficGenerator generator = new TrafficGenerator(models, 0.0, 11L);
    final long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(BenchTopic.producerProperties(bootstrapServers))) {
      while (running.get()) {
        if (eventsPerSecond > 0) {
          final long due = start + (long) (sent.get() * 1e9 / eventsPerSecond);
          final long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        } else if (sent.get() - counted.getAsLong() > maxBacklog) {
          Thread.sleep(20);
          continue;
        }
        final DemoEvent event = generator.next(System.currentTimeMillis(), false);
        producer.send(
            new ProducerRecord<>(topic, event.key(), event.value()),
            (metadata, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              }
            });
        sent.incrementAndGet();
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (final RuntimeException e) {
      failure.compareAndSet(null, e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(30_000);
  }
}
