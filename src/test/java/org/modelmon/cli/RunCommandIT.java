package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaBrokerExtension;
import org.modelmon.testing.ModelmonProcess;

/**
 * {@code modelmon run} as an operator runs it: its own JVM against a real broker, ready once the
 * stream runs, and on SIGTERM closing the stream and the HTTP server and exiting with status 0.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RunCommandIT {

  private final EmbeddedKafkaBroker broker;
  private Path workDir;
  private ModelmonProcess modelmon;

  RunCommandIT(final EmbeddedKafkaBroker broker) {
    this.broker = broker;
  }

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("modelmon-run-it");
  }

  @AfterEach
  void cleanUp() throws IOException, InterruptedException {
    if (modelmon != null) {
      modelmon.close();
    }
    Utils.delete(workDir.toFile());
  }

  @Test
  void shouldBecomeReadyAndStopCleanlyOnSigterm() throws Exception {
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
            "modelmon.topic.labels=labels-" + suffix,
            "modelmon.topic.dlq=dlq-" + suffix,
            "modelmon.topic.references=references-" + suffix,
            "modelmon.topic.windows=windows-" + suffix,
            "modelmon.http.host=127.0.0.1",
            ""));
    modelmon =
        ModelmonProcess.start(config, ModelmonProcess.freePort(), workDir.resolve("modelmon.out"));

    modelmon.awaitStatus("/health/ready", 200, Duration.ofSeconds(90));
    assertThat(modelmon.status("/health/live")).isEqualTo(200);
    assertThat(modelmon.status("/metrics")).isEqualTo(200);

    modelmon.process().destroy(); // SIGTERM
    assertThat(modelmon.process().waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
    assertThat(modelmon.process().exitValue()).as(modelmon.tail()).isZero();
    assertThatThrownBy(() -> modelmon.status("/health/ready"))
        .isInstanceOf(ConnectException.class);
    assertThat(modelmon.tail()).contains("Stopped");
  }
}
