package org.modelmon.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.modelmon.cli.Main;
import org.modelmon.testing.ModelmonProcess;
import org.modelmon.testing.PrometheusText;

/**
 * {@code modelmon run} in a JVM of its own, as an operator runs it, with the readings a benchmark
 * takes of it: readiness, counters from {@code /metrics}, heap, RSS and state on disk.
 */
final class ModelmonUnderTest implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  private final Process process;
  private final int httpPort;
  private final Path stateDir;
  private final Path output;

  private ModelmonUnderTest(
      final Process process, final int httpPort, final Path stateDir, final Path output) {
    this.process = process;
    this.httpPort = httpPort;
    this.stateDir = stateDir;
    this.output = output;
  }

  /**
   * Starts modelmon with {@code settings} ({@code modelmon.*} and {@code kafka.*} keys) on top of a
   * fresh state directory and HTTP port under {@code workDir}.
   */
  static ModelmonUnderTest start(
      final Path workDir, final Map<String, String> settings, final List<String> jvmOptions)
      throws IOException {
    final int httpPort = ModelmonProcess.freePort();
    final Path stateDir = Files.createDirectories(workDir.resolve("state"));
    final Properties properties = new Properties();
    properties.putAll(settings);
    properties.put("modelmon.state.dir", stateDir.toString());
    properties.put("modelmon.http.port", Integer.toString(httpPort));
    final Path config = workDir.resolve("modelmon.properties");
    try (var writer = Files.newBufferedWriter(config)) {
      properties.store(writer, "bin/bench");
    }
    final List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of("run", "--config", config.toString()));
    final Path output = workDir.resolve("modelmon.out");
    final Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    return new ModelmonUnderTest(process, httpPort, stateDir, output);
  }

  /**
   * The settings of one benchmark run: its own application id, so no run reuses another's offsets
   * or internal topics, and its own windows and dead-letter topics.
   */
  static Map<String, String> settings(
      final String bootstrapServers,
      final String applicationId,
      final String guarantee,
      final String predictionsTopic,
      final String referencesTopic,
      final List<String> windows) {
    final Map<String, String> config = new LinkedHashMap<>();
    config.put("modelmon.bootstrap.servers", bootstrapServers);
    config.put("modelmon.application.id", applicationId);
    config.put("modelmon.processing.guarantee", guarantee);
    config.put("modelmon.topic.predictions", predictionsTopic);
    config.put("modelmon.topic.labels", predictionsTopic + "-labels");
    config.put("modelmon.topic.references", referencesTopic);
    config.put("modelmon.topic.windows", windowsTopic(applicationId));
    config.put("modelmon.topic.dlq", applicationId + "-dlq");
    config.put("modelmon.windows", String.join(",", windows));
    return config;
  }

  /** The windows topic of the run {@code applicationId}. */
  static String windowsTopic(final String applicationId) {
    return applicationId + "-windows";
  }

  /** Whether {@code /health/ready} answers 200 now. */
  boolean ready() {
    return status("/health/ready") == 200;
  }

  /** The scraped metrics, or {@code null} while the server does not answer. */
  PrometheusText metrics() {
    final String body = get("/metrics");
    return body == null ? null : PrometheusText.parse(body);
  }

  /** Σ {@code modelmon_predictions_total} over every model but the sentinel. */
  static double predictionsCounted(final PrometheusText metrics) {
    return metrics.samples("modelmon_predictions_total").stream()
        .filter(sample -> !BenchTopic.SENTINEL_MODEL.equals(sample.labels().get("model")))
        .mapToDouble(PrometheusText.Sample::value)
        .sum();
  }

  /** Heap in use after a full collection, in bytes (via {@code jcmd}). */
  long heapAfterGcBytes() throws IOException, InterruptedException {
    jcmd("GC.run");
    final Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
    if (!used.find()) {
      throw new IllegalStateException("jcmd GC.heap_info printed no heap use");
    }
    return Long.parseLong(used.group(1)) * 1024;
  }

  /** Resident set size, in bytes (Linux {@code /proc}). */
  long rssBytes() throws IOException {
    for (final String line : Files.readAllLines(Path.of("/proc", pid(), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/" + pid() + "/status");
  }

  /** Size of the state directory (RocksDB, checkpoints), in bytes. */
  long stateDirBytes() throws IOException {
    return bytesUnder(stateDir);
  }

  /** Size on disk of the persistent store {@code name}, over all its tasks, in bytes. */
  long storeBytes(final String name) throws IOException {
    try (Stream<Path> paths = Files.walk(stateDir)) {
      long total = 0;
      for (final Path store :
          paths.filter(path -> path.getFileName().toString().equals(name)).toList()) {
        total += bytesUnder(store);
      }
      return total;
    }
  }

  private static long bytesUnder(final Path directory) throws IOException {
    try (Stream<Path> files = Files.walk(directory)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              file -> {
                try {
                  return Files.size(file);
                } catch (final IOException e) {
                  return 0; // deleted while walking: RocksDB compacts
                }
              })
          .sum();
    }
  }

  /** CPU time the process has used so far, user and system, in seconds. */
  double cpuSeconds() throws IOException {
    return ProcessCpu.seconds(process.pid());
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path output() {
    return output;
  }

  /**
   * Waits until {@code /health/ready} answers 200, asking every 20 ms.
   *
   * @throws IllegalStateException with the tail of modelmon's output, should it exit or {@code
   *     timeout} pass first
   */
  void awaitReady(final Duration timeout) throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready()) {
      if (!isAlive() || System.nanoTime() > deadline) {
        throw failure("did not become ready within " + timeout);
      }
      Thread.sleep(20);
    }
  }

  /**
   * An exception saying that modelmon {@code what}, or that it exited if it did, with the last 40
   * lines of its output.
   */
  IllegalStateException failure(final String what) throws IOException {
    final List<String> lines = Files.readAllLines(output);
    return new IllegalStateException(
        "modelmon "
            + (isAlive() ? what : "exited")
            + "; its output:\n"
            + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
  }

  private String pid() {
    return Long.toString(process.pid());
  }

  private String jcmd(final String command) throws IOException, InterruptedException {
    final Process jcmd =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), pid(), command)
            .redirectErrorStream(true)
            .start();
    final String out = new String(jcmd.getInputStream().readAllBytes());
    if (jcmd.waitFor() != 0) {
      throw new IllegalStateException("jcmd " + command + " failed: " + out);
    }
    return out;
  }

  private int status(final String path) {
    try {
      return HTTP.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (final IOException e) {
      return -1;
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private String get(final String path) {
    try {
      final HttpResponse<String> response =
          HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (final IOException e) {
      return null;
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private HttpRequest request(final String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
        .timeout(Duration.ofSeconds(10))
        .build();
  }

  /** Stops modelmon as an operator does (SIGTERM), killing it if it has not gone in 60 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (final InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
