package org.modelmon.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.modelmon.config.Durations;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.demo.SyntheticModel;
import org.modelmon.testing.PrometheusText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench latency}: live traffic at a moderate rate, and two latencies read from {@code
 * /metrics} as a scraper sees them.
 *
 * <ul>
 *   <li>Counter: a probe event is sent (acknowledged by the broker) and {@code /metrics} is polled
 *       until the probe model's {@code modelmon_predictions_total} counts it.
 *   <li>Window gauge: a window [start, end) cannot be final before the wall clock passes end +
 *       grace, since live events carry the wall clock as their time. The latency is how long after
 *       that instant {@code modelmon_window_end_timestamp_seconds} first shows the window's end
 *       (one sample per window, however many models close it).
 * </ul>
 */
@Command(
    name = "bin/bench latency",
    mixinStandardHelpOptions = true,
    description = "Produce -> counter and window end + grace -> window gauge latency.")
public final class LatencyBench implements Callable<Integer> {

  private static final String PROBE_MODEL = "latency-probe";

  @Option(names = "--rate", description = "events per second (default ${DEFAULT-VALUE})")
  double rate = 1000;

  @Option(names = "--minutes", description = "how long to run (default ${DEFAULT-VALUE})")
  int minutes = 5;

  @Option(names = "--models", description = "models of the traffic (default ${DEFAULT-VALUE})")
  int models = 10;

  @Option(names = "--windows", split = ",", description = "window sizes (default 1m,5m,1h)")
  List<String> windows = List.of("1m", "5m", "1h");

  @Option(names = "--grace", description = "modelmon.window.grace (default ${DEFAULT-VALUE})")
  String grace = "30s";

  @Option(names = "--guarantee", description = "processing guarantee (default ${DEFAULT-VALUE})")
  String guarantee = "exactly_once_v2";

  @Option(names = "--jvm", split = " ", description = "modelmon's JVM options (default -Xmx1g)")
  List<String> jvmOptions = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

  public static void main(final String[] args) {
    System.exit(new CommandLine(new LatencyBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    final Path workDir = Files.createTempDirectory("modelmon-bench-latency-");
    final List<Double> counterMillis = new ArrayList<>();
    final Map<String, List<Double>> windowMillis = new HashMap<>();
    final long graceMillis = Durations.parse(grace).toMillis();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      final String bootstrap = broker.bootstrapServers();
      final String topic = "bench-latency-" + UUID.randomUUID();
      final String references = BenchTopic.create(bootstrap, topic, 4);
      final List<SyntheticModel> traffic = BenchModels.zipf(models, 10, 7L);
      final String id = "bench-" + UUID.randomUUID();
      final Map<String, String> settings =
          ModelmonUnderTest.settings(bootstrap, id, guarantee, topic, references, windows);
      settings.put("modelmon.window.grace", grace);
      try (KafkaProducer<byte[], byte[]> probes =
              new KafkaProducer<>(BenchTopic.producerProperties(bootstrap));
          ModelmonUnderTest modelmon = ModelmonUnderTest.start(workDir, settings, jvmOptions)) {
        BenchTopic.publishReferences(probes, references, traffic);
        modelmon.awaitReady(Duration.ofMinutes(2));
        final Map<String, Set<Double>> endsSeen = new HashMap<>();
        try (LiveTraffic live =
            new LiveTraffic(bootstrap, topic, traffic, rate, 0, () -> 0).start()) {
          final long end = System.nanoTime() + Duration.ofMinutes(minutes).toNanos();
          double probesCounted = 0;
          long probesSent = 0;
          while (System.nanoTime() < end) {
            live.check();
            final long sentAt = System.nanoTime();
            probes
                .send(new ProducerRecord<>(topic, probe(System.currentTimeMillis())))
                .get();
            probesSent++;
            // Poll until the probe is counted, noting every window end that appears meanwhile.
            while (probesCounted < probesSent) {
              final PrometheusText metrics = modelmon.metrics();
              final long scrapedAt = System.currentTimeMillis();
              if (metrics == null) {
                Thread.sleep(5);
                continue;
              }
              probesCounted =
                  metrics.value("modelmon_predictions_total", "model", PROBE_MODEL, "version", "")
                      .orElse(0.0);
              recordWindowEnds(metrics, scrapedAt, graceMillis, endsSeen, windowMillis);
              if (System.nanoTime() - sentAt > Duration.ofSeconds(30).toNanos()) {
                throw new IllegalStateException("a probe was not counted within 30 s");
              }
            }
            counterMillis.add((System.nanoTime() - sentAt) / 1e6);
            // Keep watching window ends between probes, one probe every 500 ms.
            final long nextProbe = sentAt + Duration.ofMillis(500).toNanos();
            while (System.nanoTime() < nextProbe) {
              final PrometheusText metrics = modelmon.metrics();
              if (metrics != null) {
                recordWindowEnds(
                    metrics, System.currentTimeMillis(), graceMillis, endsSeen, windowMillis);
              }
              Thread.sleep(50);
            }
          }
        }
      }
    } finally {
      ThroughputBench.deleteRecursively(workDir);
    }
    System.out.println();
    System.out.printf(
        "rate=%.0f events/s models=%d windows=%s grace=%s %s%n",
        rate, models, String.join(",", windows), grace, guarantee);
    System.out.println("| latency | samples | median ms | p99 ms | max ms |");
    System.out.println("|---|---:|---:|---:|---:|");
    System.out.println(row("produce → counter", counterMillis));
    windows.forEach(
        window ->
            System.out.println(
                row(
                    "window end + grace → " + window + " gauge",
                    windowMillis.getOrDefault(window, List.of()))));
    return 0;
  }

  private static byte[] probe(final long eventTimeMillis) {
    return ("{\"model\":\"" + PROBE_MODEL + "\",\"timestamp\":" + eventTimeMillis
            + ",\"score\":0.9,\"label\":1}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * For each window end seen for the first time (in any traffic series: all close at once, as one
   * watermark passes them): how long after end + grace this scrape saw it. The probe model is left
   * out: its sparse events are not what makes windows final.
   */
  private static void recordWindowEnds(
      final PrometheusText metrics,
      final long scrapedAtMillis,
      final long graceMillis,
      final Map<String, Set<Double>> endsSeen,
      final Map<String, List<Double>> windowMillis) {
    for (final PrometheusText.Sample sample :
        metrics.samples("modelmon_window_end_timestamp_seconds")) {
      final Map<String, String> labels = sample.labels();
      if (PROBE_MODEL.equals(labels.get("model"))) {
        continue;
      }
      final String window = labels.get("window");
      if (endsSeen.computeIfAbsent(window, w -> new HashSet<>()).add(sample.value())) {
        final double finalAtMillis = sample.value() * 1000 + graceMillis;
        windowMillis
            .computeIfAbsent(window, w -> new ArrayList<>())
            .add(scrapedAtMillis - finalAtMillis);
      }
    }
  }

  private static String row(final String what, final List<Double> millis) {
    if (millis.isEmpty()) {
      return String.format("| %s | 0 | – | – | – |", what);
    }
    final double[] values = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return String.format(
        "| %s | %d | %.0f | %.0f | %.0f |",
        what,
        values.length,
        Stats.median(values),
        values[Math.min(values.length - 1, (int) Math.ceil(values.length * 0.99) - 1)],
        values[values.length - 1]);
  }
}
