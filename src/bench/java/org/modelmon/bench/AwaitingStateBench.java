package org.modelmon.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.PrometheusText;
import org.modelmon.topology.ModelmonTopology;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench awaiting}: what predictions waiting for their label cost. Sends a backlog of
 * predictions with an id and without a label, none of which gets one, waits until modelmon holds
 * every one of them in its join ({@code modelmon_predictions_awaiting_label}), and reports the
 * process's resident set, its heap after a full collection and the join's stores on disk, against
 * the same process before the backlog: bytes per waiting prediction.
 */
@Command(
    name = "bin/bench awaiting",
    mixinStandardHelpOptions = true,
    description = "Memory and disk per prediction waiting for its label.")
public final class AwaitingStateBench implements Callable<Integer> {

  @Option(names = "--predictions", description = "waiting predictions (default ${DEFAULT-VALUE})")
  int predictions = 1_000_000;

  @Option(names = "--classes", description = "classes per prediction (default ${DEFAULT-VALUE})")
  int classes = 2;

  @Option(names = "--partitions", description = "input partitions (default ${DEFAULT-VALUE})")
  int partitions = 4;

  @Option(names = "--jvm", split = " ", description = "modelmon's JVM options (default -Xmx1g)")
  List<String> jvmOptions = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

  private static final List<String> JOIN_STORES =
      List.of(
          ModelmonTopology.AWAITING_LABEL_STORE,
          ModelmonTopology.JOIN_DEADLINES_STORE,
          ModelmonTopology.EARLY_LABELS_STORE);

  public static void main(final String[] args) {
    System.exit(new CommandLine(new AwaitingStateBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    final Path workDir = Files.createTempDirectory("modelmon-bench-awaiting-");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      final String bootstrap = broker.bootstrapServers();
      final String topic = "bench-awaiting-" + UUID.randomUUID();
      final String references = BenchTopic.create(bootstrap, topic, partitions);
      final String id = "bench-" + UUID.randomUUID();
      final Map<String, String> settings =
          ModelmonUnderTest.settings(
              bootstrap, id, "exactly_once_v2", topic, references, List.of("1m", "5m", "1h"));
      try (ModelmonUnderTest modelmon = ModelmonUnderTest.start(workDir, settings, jvmOptions)) {
        modelmon.awaitReady(Duration.ofMinutes(2));
        final Sample before = Sample.of(modelmon, 0);
        System.err.println("before: " + before);

        // Event times over the last 50 minutes, within the default horizon of a day.
        final long start = System.currentTimeMillis() - Duration.ofMinutes(50).toMillis();
        final long startNanos = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(BenchTopic.producerProperties(bootstrap))) {
          for (int i = 0; i < predictions; i++) {
            final long time = start + (Duration.ofMinutes(49).toMillis() * i) / predictions;
            producer.send(
                new ProducerRecord<>(
                    topic,
                    i % partitions,
                    null,
                    null,
                    prediction(i, time).getBytes(StandardCharsets.UTF_8)));
          }
        }
        long awaiting = 0;
        while (awaiting < predictions) {
          Thread.sleep(5000);
          if (!modelmon.isAlive()) {
            throw new IllegalStateException("modelmon exited; see " + modelmon.output());
          }
          final PrometheusText metrics = modelmon.metrics();
          if (metrics != null) {
            awaiting =
                (long)
                    metrics.samples("modelmon_predictions_awaiting_label").stream()
                        .mapToDouble(PrometheusText.Sample::value)
                        .sum();
            System.err.printf(
                Locale.ROOT,
                "%.0f s: %,d of %,d predictions awaiting their label%n",
                (System.nanoTime() - startNanos) / 1e9,
                awaiting,
                predictions);
          }
        }
        // A few commits more, so that the stores are flushed to disk.
        Thread.sleep(5000);
        final Sample after = Sample.of(modelmon, predictions);
        System.err.println("after: " + after);
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "%,d predictions awaiting their label, %d classes, %d partitions, exactly_once_v2,"
                + " jvm %s%n",
            predictions,
            classes,
            partitions,
            String.join(" ", jvmOptions));
        System.out.println(
            "| | RSS MB | heap after GC MB | join stores on disk MB | state dir MB |");
        System.out.println("|---|---:|---:|---:|---:|");
        System.out.println(before.row("before"));
        System.out.println(after.row("after"));
        System.out.printf(
            Locale.ROOT,
            "| per awaiting prediction, bytes | %.0f | %.0f | %.0f | %.0f |%n",
            (after.rss - before.rss) / (double) predictions,
            (after.heap - before.heap) / (double) predictions,
            (after.joinStores - before.joinStores) / (double) predictions,
            (after.stateDir - before.stateDir) / (double) predictions);
      }
    } finally {
      ThroughputBench.deleteRecursively(workDir);
    }
    return 0;
  }

  private String prediction(final int index, final long time) {
    final StringBuilder json =
        new StringBuilder(96)
            .append("{\"model\":\"fraud\",\"id\":\"req-")
            .append(index)
            .append("\",\"timestamp\":")
            .append(time)
            .append(",\"probabilities\":[");
    for (int c = 0; c < classes; c++) {
      json.append(c == 0 ? "" : ",")
          .append(c == 0 ? 1 - (classes - 1) * 0.1 / classes : 0.1 / classes);
    }
    return json.append("]}").toString();
  }

  /** What the process holds at one moment. */
  private record Sample(long rss, long heap, long joinStores, long stateDir) {

    static Sample of(final ModelmonUnderTest modelmon, final long awaiting) throws Exception {
      long joinStores = 0;
      for (final String store : JOIN_STORES) {
        joinStores += modelmon.storeBytes(store);
      }
      return new Sample(
          modelmon.rssBytes(), modelmon.heapAfterGcBytes(), joinStores, modelmon.stateDirBytes());
    }

    String row(final String name) {
      return String.format(
          Locale.ROOT,
          "| %s | %.1f | %.1f | %.1f | %.1f |",
          name,
          rss / 1e6,
          heap / 1e6,
          joinStores / 1e6,
          stateDir / 1e6);
    }
  }
}
