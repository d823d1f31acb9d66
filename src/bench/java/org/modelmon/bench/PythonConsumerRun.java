package org.modelmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The plain Python consumer a team would write instead of modelmon ({@value #SCRIPT_PATH}: one
 * process, confluent-kafka, {@code json.loads}, −ln q(y) per event, a dict of per-model one-minute
 * sums) over a topic, in a process of its own as every peer of {@link ThroughputBench} runs.
 *
 * <p>It needs a Python 3 with the {@code confluent_kafka} module; {@link #interpreter} finds one or
 * says why there is none, so that the benchmark can print "n/a" instead of failing.
 */
final class PythonConsumerRun {

  /** The script, relative to the repository's root (bin/bench runs from there). */
  static final String SCRIPT_PATH = "src/bench/python/plain_consumer.py";

  /** How to get the module on Debian. */
  static final String INSTALL = "apt-get install -y python3-confluent-kafka";

  /**
   * Where to look when no interpreter is named: the {@code python3} on the PATH (a virtualenv's,
   * pyenv's), then Debian's, which is the one {@code python3-confluent-kafka} installs into.
   */
  static final List<String> DEFAULT_INTERPRETERS = List.of("python3", "/usr/bin/python3");

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One run's figures, as the script prints them.
   *
   * @param events records read, sentinels included
   * @param seconds from the first batch received to the last record scored
   * @param eventsPerSecond {@code events / seconds}
   * @param warmEventsPerSecond the rate over the last three quarters of the records, computed as
   *     {@link ThroughputBench} computes modelmon's
   */
  record Result(long events, double seconds, double eventsPerSecond, double warmEventsPerSecond) {}

  private PythonConsumerRun() {}

  /**
   * The first of {@code candidates} that runs and imports {@code confluent_kafka}, or empty; then
   * {@code problems} says, per candidate, what was wrong.
   */
  static Optional<String> interpreter(final List<String> candidates, final List<String> problems)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(Path.of(SCRIPT_PATH))) {
      problems.add("no " + SCRIPT_PATH + " under " + Path.of("").toAbsolutePath());
      return Optional.empty();
    }
    for (final String candidate : candidates) {
      final Process process;
      try {
        process =
            new ProcessBuilder(candidate, "-c", "import confluent_kafka")
                .redirectErrorStream(true)
                .start();
      } catch (final IOException e) {
        problems.add(candidate + ": not found");
        continue;
      }
      process.getOutputStream().close();
      final String out = readAll(process);
      if (process.waitFor() != 0) {
        problems.add(
            candidate
                + (out.contains("No module named") ? ": no confluent_kafka module" : ": " + out));
      } else {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Runs the script with {@code interpreter} until it has read {@code records} records of {@code
   * topic} (a fresh consumer group, from the earliest offset); its output goes to {@code log}.
   *
   * @throws IllegalStateException when it fails, times out or read another number of records
   */
  static Result run(
      final String interpreter,
      final String bootstrapServers,
      final String topic,
      final long records,
      final Path log,
      final Duration timeout)
      throws IOException, InterruptedException {
    final List<String> command =
        new ArrayList<>(
            List.of(interpreter, SCRIPT_PATH, bootstrapServers, topic, Long.toString(records)));
    final Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    process.getOutputStream().close();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException(
          "the plain Python consumer did not finish within " + timeout + ":\n" + tail(log));
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          "the plain Python consumer failed (exit " + process.exitValue() + "):\n" + tail(log));
    }
    final Result result = parse(Files.readString(log));
    if (result.events() != records) {
      throw new IllegalStateException(
          "the plain Python consumer read " + result.events() + " of " + records + " records");
    }
    return result;
  }

  /** The figures of the script's last JSON line. */
  static Result parse(final String out) throws IOException {
    final String line =
        out.lines()
            .filter(l -> l.startsWith("{"))
            .reduce((first, second) -> second)
            .orElseThrow(() -> new IllegalStateException("no JSON line in:\n" + out));
    final JsonNode json = JSON.readTree(line);
    final JsonNode warm = json.path("warm_events_per_s");
    return new Result(
        json.path("events").asLong(),
        json.path("seconds").asDouble(),
        json.path("events_per_s").asDouble(),
        warm.isNumber() ? warm.asDouble() : Double.NaN);
  }

  private static String readAll(final Process process) {
    try {
      return new String(process.getInputStream().readAllBytes()).strip();
    } catch (final IOException e) {
      return e.toString();
    }
  }

  private static String tail(final Path log) throws IOException {
    final List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
