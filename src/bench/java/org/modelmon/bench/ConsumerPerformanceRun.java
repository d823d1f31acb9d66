package org.modelmon.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's own consumer performance tool ({@code org.apache.kafka.tools.ConsumerPerformance}) over
 * a topic, in a JVM of its own as modelmon runs: the raw read rate the broker serves on this
 * machine, {@code fetch.nMsg.sec} (messages per second of fetching, group join left out).
 */
final class ConsumerPerformanceRun {

  private ConsumerPerformanceRun() {}

  /** Reads {@code messages} messages of {@code topic} with a new group; its fetch.nMsg.sec. */
  static double fetchMessagesPerSecond(
      final String bootstrapServers, final String topic, final long messages)
      throws IOException, InterruptedException {
    final List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("org.apache.kafka.tools.ConsumerPerformance");
    command.addAll(
        List.of(
            "--bootstrap-server", bootstrapServers,
            "--topic", topic,
            "--messages", Long.toString(messages),
            "--group", "bench-raw-" + UUID.randomUUID(),
            "--timeout", "60000"));
    final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    final String out = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException("ConsumerPerformance failed:\n" + out);
    }
    return parseFetchRate(out);
  }

  /** The {@code fetch.nMsg.sec} column of the tool's CSV output. */
  static double parseFetchRate(final String out) {
    final List<String> lines =
        out.lines()
            .filter(line -> line.contains(","))
            .filter(line -> !line.contains("WARN"))
            .toList();
    for (int i = 0; i < lines.size() - 1; i++) {
      final List<String> header =
          Arrays.stream(lines.get(i).split(",")).map(String::strip).toList();
      final int column = header.indexOf("fetch.nMsg.sec");
      if (column >= 0) {
        return Double.parseDouble(lines.get(i + 1).split(",")[column].strip());
      }
    }
    throw new IllegalStateException("no fetch.nMsg.sec in ConsumerPerformance's output:\n" + out);
  }
}
