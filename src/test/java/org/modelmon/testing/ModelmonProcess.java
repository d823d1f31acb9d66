package org.modelmon.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.modelmon.cli.Main;

/**
 * {@code modelmon run} in its own JVM, as an operator runs it, for tests that signal or kill it.
 * Output goes to a file whose tail failures quote; the child's temporary files go to a directory
 * beside it.
 */
public final class ModelmonProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Process process;
  private final int httpPort;
  private final Path output;

  private ModelmonProcess(final Process process, final int httpPort, final Path output) {
    this.process = process;
    this.httpPort = httpPort;
    this.output = output;
  }

  /**
   * Starts {@code modelmon run --config configFile -D modelmon.http.port=httpPort}, appending its
   * output to {@code output}.
   */
  public static ModelmonProcess start(final Path configFile, final int httpPort, final Path output)
      throws IOException {
    return start(configFile, httpPort, output, Map.of());
  }

  /**
   * As {@link #start(Path, int, Path)}, with {@code environment} added to the environment the child
   * inherits: how a container hands modelmon its secrets ({@code MODELMON_KAFKA_SASL_JAAS_CONFIG}).
   */
  public static ModelmonProcess start(
      final Path configFile,
      final int httpPort,
      final Path output,
      final Map<String, String> environment)
      throws IOException {
    final List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    // RocksDB unpacks its native library into java.io.tmpdir and deletes it at exit, which a
    // SIGKILL skips: keep it beside the output, in the test's own directory, not in /tmp.
    final Path tmp = Files.createDirectories(output.resolveSibling(output.getFileName() + ".tmp"));
    command.add("-Djava.io.tmpdir=" + tmp);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(
        List.of("run", "--config", configFile.toString(), "-D", "modelmon.http.port=" + httpPort));
    final ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    builder.environment().putAll(environment);
    final Process process = builder.start();
    return new ModelmonProcess(process, httpPort, output);
  }

  /** A port free right now on loopback. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public Process process() {
    return process;
  }

  public int httpPort() {
    return httpPort;
  }

  /** The HTTP status of {@code path}; throws {@link ConnectException} while nothing listens. */
  public int status(final String path) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Waits until {@code path} answers {@code expected}; fails with the output's tail if not. */
  public void awaitStatus(final String path, final int expected, final Duration timeout)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + timeout.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        last = status(path);
        if (last == expected) {
          return;
        }
      } catch (ConnectException notYetListening) {
        // starting up
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        path + " never answered " + expected + " (last " + last + ", alive " + process.isAlive()
            + ")\n" + tail());
  }

  /** SIGKILL: no shutdown hook, no clean close. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** Everything the process has written so far, standard output and error interleaved. */
  public String output() throws IOException {
    return Files.readString(output);
  }

  /** The last 40 lines of the process's output. */
  public String tail() {
    try {
      final List<String> lines = Files.readAllLines(output);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
