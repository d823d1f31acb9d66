package org.modelmon.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.demo.SyntheticModel;
import org.modelmon.testing.PrometheusText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench memory}: modelmon at full rate for a while on live traffic over many (model,
 * version) keys, with its heap after a full collection, its resident set size and its state on
 * disk sampled as it goes. Flat samples mean memory is bounded by keys × windows, not events.
 */
@Command(
    name = "bin/bench memory",
    mixinStandardHelpOptions = true,
    description = "Heap, RSS and state on disk over a long run at full rate.")
public final class MemoryBench implements Callable<Integer> {

  @Option(names = "--minutes", description = "how long to run (default ${DEFAULT-VALUE})")
  int minutes = 10;

  @Option(names = "--keys", description = "(model, version) keys (default ${DEFAULT-VALUE})")
  int keys = 1000;

  @Option(names = "--classes", description = "classes per model (default ${DEFAULT-VALUE})")
  int classes = 10;

  @Option(names = "--partitions", description = "input partitions (default ${DEFAULT-VALUE})")
  int partitions = 4;

  @Option(names = "--windows", split = ",", description = "window sizes (default 1m,5m,1h)")
  List<String> windows = List.of("1m", "5m", "1h");

  @Option(
      names = "--sample-every",
      description = "seconds between samples (default ${DEFAULT-VALUE})")
  int sampleSeconds = 60;

  @Option(names = "--jvm", split = " ", description = "modelmon's JVM options (default -Xmx1g)")
  List<String> jvmOptions = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

  /** Events sent but not yet counted at most: full rate without an ever-growing backlog. */
  private static final long MAX_BACKLOG = 200_000;

  public static void main(final String[] args) {
    System.exit(new CommandLine(new MemoryBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    final Path workDir = Files.createTempDirectory("modelmon-bench-memory-");
    final List<String> rows = new ArrayList<>();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      final String bootstrap = broker.bootstrapServers();
      final String topic = "bench-memory-" + UUID.randomUUID();
      final String references = BenchTopic.create(bootstrap, topic, partitions);
      // Equal shares, so every key has traffic in every window: the most state per key.
      final List<SyntheticModel> models = BenchModels.uniform(keys, classes, 7L);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(BenchTopic.producerProperties(bootstrap))) {
        BenchTopic.publishReferences(producer, references, models);
      }
      final String id = "bench-" + UUID.randomUUID();
      final Map<String, String> settings =
          ModelmonUnderTest.settings(bootstrap, id, "exactly_once_v2", topic, references, windows);
      final AtomicLong counted = new AtomicLong();
      try (ModelmonUnderTest modelmon = ModelmonUnderTest.start(workDir, settings, jvmOptions)) {
        modelmon.awaitReady(Duration.ofMinutes(2));
        try (LiveTraffic traffic =
            new LiveTraffic(bootstrap, topic, models, 0, MAX_BACKLOG, counted::get).start()) {
          final long start = System.nanoTime();
          final long end = start + Duration.ofMinutes(minutes).toNanos();
          long nextSample = start + Duration.ofSeconds(sampleSeconds).toNanos();
          long countedAtLastSample = 0;
          long lastSampleNanos = start;
          while (System.nanoTime() < end) {
            Thread.sleep(1000);
            traffic.check();
            if (!modelmon.isAlive()) {
              throw new IllegalStateException("modelmon exited; see " + modelmon.output());
            }
            final PrometheusText metrics = modelmon.metrics();
            if (metrics != null) {
              counted.set((long) metrics.samples("modelmon_predictions_total").stream()
                  .mapToDouble(PrometheusText.Sample::value)
                  .sum());
            }
            if (System.nanoTime() >= nextSample) {
              final long now = System.nanoTime();
              final String row =
                  String.format(
                      "| %.1f | %d | %.0f | %.1f | %.1f | %.1f | %d |",
                      (now - start) / 60e9,
                      counted.get(),
                      (counted.get() - countedAtLastSample) / ((now - lastSampleNanos) / 1e9),
                      modelmon.heapAfterGcBytes() / 1e6,
                      modelmon.rssBytes() / 1e6,
                      modelmon.stateDirBytes() / 1e6,
                      metrics == null ? -1 : windowSeries(metrics));
              System.err.println(row);
              rows.add(row);
              countedAtLastSample = counted.get();
              lastSampleNanos = now;
              nextSample += Duration.ofSeconds(sampleSeconds).toNanos();
            }
          }
        }
      }
    } finally {
      ThroughputBench.deleteRecursively(workDir);
    }
    System.out.println();
    System.out.printf(
        "keys=%d classes=%d windows=%s partitions=%d exactly_once_v2, jvm %s%n",
        keys, classes, String.join(",", windows), partitions, String.join(" ", jvmOptions));
    System.out.println(
        "| minutes | events counted | events/s since last | heap after GC MB | RSS MB"
            + " | state dir MB | window series exported |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    return 0;
  }

  /** How many (model, version, window) series have a final window, from the scrape. */
  private static long windowSeries(final PrometheusText metrics) {
    return metrics.samples("modelmon_window_predictions").size();
  }
}
