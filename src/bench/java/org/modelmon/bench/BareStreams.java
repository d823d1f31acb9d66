package org.modelmon.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.modelmon.topology.ModelmonTopology;

/**
 * The framework's own ceiling: a Kafka Streams application that reads the same topic with the same
 * guarantee and does nothing with each record but count it. Run in a JVM of its own by {@link
 * ThroughputBench}; prints {@code bare.events.sec=<rate>} measured from RUNNING to the last record,
 * and {@code bare.warm.events.sec=<rate>} over the last three quarters of the records (from a
 * quarter counted to all of them), as {@link ThroughputBench} computes modelmon's warm rate.
 *
 * <p>It runs with the Kafka Streams settings modelmon runs with ({@link
 * ModelmonTopology#defaultKafkaSettings}, then every {@code kafka.*} setting the benchmark passes
 * to modelmon), so that the ceiling and modelmon are measured alike.
 *
 * <p>Arguments: bootstrap servers, topic, records expected, processing guarantee, then any number
 * of Kafka Streams settings as {@code KEY=VALUE}.
 */
public final class BareStreams {

  private BareStreams() {}

  /**
   * A run's rates.
   *
   * @param eventsPerSecond from RUNNING to the last record
   * @param warmEventsPerSecond over the last three quarters of the records
   */
  record Rates(double eventsPerSecond, double warmEventsPerSecond) {}

  /**
   * Runs it in a JVM of its own over {@code records} records of {@code topic}, with the Kafka
   * Streams settings {@code streamsSettings} on top of the guarantee's defaults; its rates.
   */
  static Rates eventsPerSecond(
      final String bootstrapServers,
      final String topic,
      final long records,
      final String guarantee,
      final Map<String, String> streamsSettings)
      throws java.io.IOException, InterruptedException {
    final List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                BareStreams.class.getName(),
                bootstrapServers,
                topic,
                Long.toString(records),
                guarantee));
    streamsSettings.forEach((key, value) -> command.add(key + "=" + value));
    final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    final String out = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(11, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException("the bare Kafka Streams run failed:\n" + out);
    }
    return new Rates(rate(out, "bare.events.sec="), rate(out, "bare.warm.events.sec="));
  }

  private static double rate(final String out, final String prefix) {
    return out.lines()
        .filter(line -> line.startsWith(prefix))
        .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length())))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + prefix + " in:\n" + out));
  }

  public static void main(final String[] args) throws Exception {
    final String bootstrapServers = args[0];
    final String topic = args[1];
    final long expected = Long.parseLong(args[2]);
    final String guarantee = args[3];
    final Path stateDir = Files.createTempDirectory("modelmon-bench-bare-");
    final Properties properties = ModelmonTopology.defaultKafkaSettings(guarantee);
    properties.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench-bare-" + System.nanoTime());
    properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    properties.put("auto.offset.reset", "earliest");
    for (int i = 4; i < args.length; i++) {
      final String[] keyValue = args[i].split("=", 2);
      properties.put(keyValue[0], keyValue[1]);
    }
    final AtomicLong seen = new AtomicLong();
    final long quarter = (long) Math.ceil(expected / 4.0);
    final AtomicLong quarterSeen = new AtomicLong();
    final CountDownLatch done = new CountDownLatch(1);
    final StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .foreach(
            (key, value) -> {
              final long count = seen.incrementAndGet();
              if (count == quarter) {
                quarterSeen.set(System.nanoTime());
              }
              if (count == expected) {
                done.countDown();
              }
            });
    final CountDownLatch running = new CountDownLatch(1);
    try (KafkaStreams streams = new KafkaStreams(builder.build(), properties)) {
      streams.setStateListener(
          (newState, oldState) -> {
            if (newState == KafkaStreams.State.RUNNING) {
              running.countDown();
            }
          });
      streams.start();
      running.await();
      final long start = System.nanoTime();
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("saw " + seen.get() + " of " + expected + " records");
      }
      final long end = System.nanoTime();
      System.out.printf("bare.events.sec=%.0f%n", expected / ((end - start) / 1e9));
      System.out.printf(
          "bare.warm.events.sec=%.0f%n", 0.75 * expected / ((end - quarterSeen.get()) / 1e9));
    } finally {
      ThroughputBench.deleteRecursively(stateDir);
    }
  }
}
