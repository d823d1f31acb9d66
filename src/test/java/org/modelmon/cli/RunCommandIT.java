package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;

/**
 * {@code modelmon run} as an operator runs it: its own JVM against a real broker, ready once the
 * stream runs, and on SIGTERM closing the stream and the HTTP server and exiting with status 0.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RunCommandIT {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final EmbeddedKafkaBroker broker;
  private final HttpClient http = HttpClient.newHttpClient();
  private Path workDir;
  private Process process;

  RunCommandIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("modelmon-run-it");
  }

  @AfterEach
  void cleanUp() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    Utils.delete(workDir.toFile());
  }

  @Test
  void shouldBecomeReadyAndStopCleanlyOnSigterm() throws Exception {
    final int port = freePort();
    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    final Path config = workDir.resolve("modelmon.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "modelmon.bootstrap.servers=" + broker.bootstrapServers(),
            "modelmon.application.id=modelmon-run-" + suffix,
            "modelmon.state.dir=" + workDir.resolve("state"),
            "modelmon.topic.predictions=predictions-" + suffix,
            "modelmon.topic.dlq=dlq-" + suffix,
            "modelmon.topic.references=references-" + suffix,
            "modelmon.topic.windows=windows-" + suffix,
            "modelmon.http.host=127.0.0.1",
            ""));
    final Path output = workDir.resolve("modelmon.out");
    process =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "run",
                    "--config",
                    config.toString(),
                    "-D",
                    "modelmon.http.port=" + port))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();

    final URI ready = URI.create("http://127.0.0.1:" + port + "/health/ready");
    awaitStatus(ready, 200, output);
    assertThat(status(URI.create("http://127.0.0.1:" + port + "/health/live"))).isEqualTo(200);
    assertThat(status(URI.create("http://127.0.0.1:" + port + "/metrics"))).isEqualTo(200);

    process.destroy(); // SIGTERM
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
    assertThat(process.exitValue()).as(tail(output)).isZero();
    assertThatThrownBy(() -> status(ready)).isInstanceOf(ConnectException.class);
    assertThat(Files.readString(output)).contains("Stopped");
  }

  private int status(final URI uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private void awaitStatus(final URI uri, final int expected, final Path output)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        last = status(uri);
        if (last == expected) {
          return;
        }
      } catch (ConnectException notYetListening) {
        // starting up
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "never answered " + expected + " (last " + last + ", alive " + process.isAlive() + ")\n"
            + tail(output));
  }

  private static String tail(final Path output) {
    try {
      final List<String> lines = Files.readAllLines(output);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
