package org.modelmon.testing;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Prometheus server (Debian's package {@code prometheus}, which bin/test installs) as a
 * child process on loopback, with a TSDB that tests can fill with history before starting it.
 *
 * <p>Everything lives in one temporary directory: the TSDB, the configuration, the server's log.
 * {@link #close()} stops the server and deletes the directory. A missing {@code prometheus} or
 * {@code promtool} fails the test: an end-to-end check that silently does not run is worse than
 * none.
 */
public final class PrometheusServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration PROMTOOL_TIMEOUT = Duration.ofMinutes(3);
  private static final int START_ATTEMPTS = 3;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Path directory;
  private final Path tsdb;
  private final Path log;
  private final Thread killOnExit;
  private Process process;
  private int port;

  private PrometheusServer(final Path directory) {
    this.directory = directory;
    this.tsdb = directory.resolve("tsdb");
    this.log = directory.resolve("prometheus.log");
    // If the test JVM exits without close() (an interrupted run), do not leave a server behind.
    this.killOnExit = new Thread(this::kill, "prometheus-kill-on-exit");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** A stopped server with an empty TSDB in a new temporary directory. */
  public static PrometheusServer create() throws IOException {
    final PrometheusServer server =
        new PrometheusServer(Files.createTempDirectory("modelmon-prometheus"));
    Files.createDirectories(server.tsdb);
    return server;
  }

  /** The directory the server's files are in; deleted by {@link #close()}. */
  public Path directory() {
    return directory;
  }

  /** {@code http://127.0.0.1:PORT} of the running server. */
  public String url() {
    if (process == null) {
      throw new IllegalStateException("Prometheus is not running");
    }
    return "http://127.0.0.1:" + port;
  }

  /**
   * Turns OpenMetrics text with timestamps into TSDB blocks of this server's TSDB ({@code promtool
   * tsdb create-blocks-from openmetrics}). Only while stopped: Prometheus reads blocks at start.
   */
  public void importOpenMetrics(final OpenMetricsBackfill samples) throws IOException {
    requireStopped();
    final Path file = samples.writeTo(directory.resolve("backfill.om"));
    promtool("tsdb", "create-blocks-from", "openmetrics", file.toString(), tsdb.toString());
  }

  /**
   * Evaluates the recording rules of {@code rules} over [{@code from}, {@code to}] against what
   * the TSDB holds, and adds the results to it as blocks ({@code promtool tsdb create-blocks-from
   * rules}). Prometheus itself evaluates recording rules only live, from the moment it starts, so a
   * rule over backfilled history (a day-old baseline) exists in the past only this way.
   *
   * <p>promtool reads through the query API of a running server: this starts one on the TSDB with
   * no scrapes and no rules, runs promtool, stops it, and moves the new blocks into the TSDB. Each
   * group's {@code interval} is the evaluation step, as it would be live. Only while stopped.
   */
  public void importRecordingRules(final Path rules, final Instant from, final Instant to)
      throws IOException, InterruptedException {
    requireStopped();
    final Path blocks = Files.createDirectories(directory.resolve("rule-blocks"));
    start("# only serves the TSDB to promtool\nglobal:\n  scrape_interval: 1m\n");
    try {
      promtool(
          "tsdb", "create-blocks-from", "rules",
          "--start=" + from.getEpochSecond(),
          "--end=" + to.getEpochSecond(),
          "--url=" + url(),
          "--output-dir=" + blocks,
          rules.toString());
    } finally {
      stop();
    }
    final List<Path> created = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(blocks)) {
      for (final Path block : entries) {
        created.add(Files.move(block, tsdb.resolve(block.getFileName())));
      }
    }
    if (created.isEmpty()) {
      fail("promtool created no blocks from the rules of %s over [%s, %s]", rules, from, to);
    }
  }

  /**
   * Starts the server with {@code configYaml} as its configuration file (relative paths in it are
   * relative to {@link #directory()}) on a free loopback port, and waits until it is ready.
   */
  public void start(final String configYaml) throws IOException, InterruptedException {
    requireStopped();
    final Path config = Files.writeString(directory.resolve("prometheus.yml"), configYaml);
    for (int attempt = 1; ; attempt++) {
      port = ModelmonProcess.freePort();
      Files.writeString(
          log, "---- start on port " + port + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      process =
          new ProcessBuilder(
                  executable("prometheus").toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + tsdb,
                  "--web.listen-address=127.0.0.1:" + port,
                  "--log.level=info")
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      if (awaitReady()) {
        return;
      }
      final String output = tail();
      stop();
      // Another process may have taken the free port between our check and the server's bind.
      if (attempt >= START_ATTEMPTS || !output.contains("address already in use")) {
        fail("Prometheus did not become ready within %s%n%s", START_TIMEOUT, output);
      }
    }
  }

  private boolean awaitReady() throws InterruptedException {
    final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        final HttpResponse<Void> response =
            http.send(
                HttpRequest.newBuilder(URI.create(url() + "/-/ready"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return true;
        }
      } catch (IOException notListeningYet) {
        // refused, reset or timed out while it starts
      }
      Thread.sleep(200);
    }
    return false;
  }

  /** Stops the server: SIGTERM, then SIGKILL after STOP_TIMEOUT. Idempotent. */
  public void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
      process = null;
    }
  }

  private void kill() {
    final Process running = process;
    if (running != null) {
      running.destroyForcibly();
    }
  }

  /** {@code data} of an instant query at the current time ({@code /api/v1/query}). */
  public JsonNode query(final String promQl) throws IOException, InterruptedException {
    return api("/api/v1/query", Map.of("query", promQl));
  }

  /** {@code data} of a range query ({@code /api/v1/query_range}). */
  public JsonNode queryRange(
      final String promQl, final Instant start, final Instant end, final Duration step)
      throws IOException, InterruptedException {
    return api(
        "/api/v1/query_range",
        Map.of(
            "query", promQl,
            "start", Long.toString(start.getEpochSecond()),
            "end", Long.toString(end.getEpochSecond()),
            "step", Double.toString(step.toMillis() / 1000.0)));
  }

  /** The pending and firing alerts ({@code data.alerts} of {@code /api/v1/alerts}). */
  public JsonNode alerts() throws IOException, InterruptedException {
    return api("/api/v1/alerts", Map.of()).path("alerts");
  }

  /** {@code data} of {@code /api/v1/rules}: the rule groups, their health and last errors. */
  public JsonNode rules() throws IOException, InterruptedException {
    return api("/api/v1/rules", Map.of());
  }

  private JsonNode api(final String path, final Map<String, String> form)
      throws IOException, InterruptedException {
    final String body =
        form.entrySet().stream()
            .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    final HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30));
    final HttpResponse<String> response =
        http.send(
            form.isEmpty()
                ? request.GET().build()
                : request
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
            HttpResponse.BodyHandlers.ofString());
    final JsonNode json = JSON.readTree(response.body());
    if (response.statusCode() != 200 || !"success".equals(json.path("status").asText())) {
      return fail("Prometheus %s %s answered %d: %s", path, form, response.statusCode(),
          response.body());
    }
    return json.path("data");
  }

  /** The last 60 lines of the server's log. */
  public String tail() {
    try {
      final List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private void promtool(final String... args) throws IOException {
    final List<String> command = new ArrayList<>();
    command.add(executable("promtool").toString());
    command.addAll(List.of(args));
    final Path output = directory.resolve("promtool.out");
    final Process promtool =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    try {
      if (!promtool.waitFor(PROMTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        promtool.destroyForcibly();
        fail("%s did not finish within %s", String.join(" ", command), PROMTOOL_TIMEOUT);
      }
    } catch (InterruptedException e) {
      promtool.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running promtool", e);
    }
    if (promtool.exitValue() != 0) {
      fail("%s exited %d:%n%s", String.join(" ", command), promtool.exitValue(),
          Files.readString(output));
    }
  }

  private void requireStopped() {
    if (process != null) {
      throw new IllegalStateException("Prometheus is running");
    }
  }

  /** {@code name} on the PATH, else in /usr/bin (where Debian's package puts both). */
  static Path executable(final String name) {
    final String path = System.getenv().getOrDefault("PATH", "");
    final List<String> directories = new ArrayList<>(List.of(path.split(File.pathSeparator)));
    directories.add("/usr/bin");
    for (final String dir : directories) {
      if (dir.isEmpty()) {
        continue;
      }
      final Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return fail(
        "%s is not on the PATH (%s) nor in /usr/bin: run bin/test, which installs it, or install"
            + " the Debian package prometheus",
        name, path);
  }

  /** Stops the server and deletes its directory, TSDB and all. */
  @Override
  public void close() throws IOException, InterruptedException {
    try {
      stop();
    } finally {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
      try (Stream<Path> paths = Files.walk(directory)) {
        for (final Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
