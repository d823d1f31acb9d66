package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.ModelmonProcess;
import org.modelmon.testing.PrometheusText;
import picocli.CommandLine;

/**
 * {@code kafka.*} settings reach every Kafka client of {@code modelmon run}, proven against a
 * broker that accepts SASL/PLAIN only: with the right password (given as an environment variable,
 * as a Kubernetes Secret would) modelmon becomes ready and scores; with a wrong one it stops at
 * once with one line saying so; and the password shows up nowhere: not in the log, not on any
 * endpoint, not in help or error messages.
 *
 * <p>The broker is this class's own, not the shared one, because it refuses clients without
 * credentials.
 */
class SaslPassThroughIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String USER = "modelmon";
  // Distinctive, so that a plain substring search finds any leak.
  private static final String PASSWORD = "right-" + UUID.randomUUID().toString().substring(0, 13);
  private static final String WRONG_PASSWORD =
      "wrong-" + UUID.randomUUID().toString().substring(0, 13);
  private static final String JAAS_VARIABLE = "MODELMON_KAFKA_SASL_JAAS_CONFIG";
  private static final String MODEL = "sasl-check";

  private static EmbeddedKafkaBroker broker;

  private final HttpClient http = HttpClient.newHttpClient();
  private Path workDir;
  private ModelmonProcess modelmon;

  @BeforeAll
  static void startSaslBroker() {
    broker = EmbeddedKafkaBroker.builder().saslPlainUsers(Map.of(USER, PASSWORD)).start();
  }

  @AfterAll
  static void stopSaslBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("modelmon-sasl-it");
  }

  @AfterEach
  void cleanUp() throws IOException, InterruptedException {
    if (modelmon != null) {
      modelmon.close();
    }
    Utils.delete(workDir.toFile());
  }

  @Test
  void shouldScoreWithTheRightPasswordAndShowItNowhere() throws Exception {
    modelmon = startModelmon(PASSWORD);

    modelmon.awaitStatus("/health/ready", 200, TIMEOUT);
    try (KafkaProducer<String, String> producer = producer(PASSWORD)) {
      producer.send(new ProducerRecord<>(topic("predictions"), event())).get();
    }
    awaitPredictionScored();
    awaitBody("/api/v1/models", body -> body.contains("\"" + MODEL + "\""));

    for (final String path :
        List.of("/metrics", "/api/v1/models", "/health/live", "/health/ready")) {
      final HttpResponse<String> response = get(path);
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.body()).as(path).doesNotContain(PASSWORD);
    }
    modelmon.process().destroy(); // SIGTERM, so that the log is complete when it is read
    assertThat(modelmon.process().waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
    final String output = modelmon.output();
    assertThat(output)
        .as("the start-up line shows that the setting arrived, hidden")
        .contains("kafka.sasl.jaas.config=[hidden]")
        .contains("kafka.sasl.mechanism=PLAIN")
        .doesNotContain(PASSWORD);
    assertThat(modelmon.process().exitValue()).as(modelmon.tail()).isZero();
  }

  @Test
  void shouldStopWithOneClearLineWhenTheBrokerRefusesThePassword() throws Exception {
    modelmon = startModelmon(WRONG_PASSWORD);

    // Ready must never be answered: poll it until the process exits.
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (modelmon.process().isAlive() && System.nanoTime() < deadline) {
      try {
        assertThat(modelmon.status("/health/ready")).as(modelmon.tail()).isNotEqualTo(200);
      } catch (ConnectException notYetListening) {
        // starting up, or already stopped
      }
      Thread.sleep(250);
    }
    assertThat(modelmon.process().waitFor(30, TimeUnit.SECONDS))
        .as("exited instead of retrying: " + modelmon.tail())
        .isTrue();
    assertThat(modelmon.process().exitValue())
        .as(modelmon.tail())
        .isEqualTo(Main.EXIT_CONFIG_ERROR);

    final String output = modelmon.output();
    final Pattern clearLine =
        Pattern.compile(
            "modelmon: Kafka authentication failed for "
                + Pattern.quote(broker.bootstrapServers())
                + ": .*(?i:authentication failed).*; check the kafka\\.sasl\\.\\* settings");
    assertThat(output.lines().filter(line -> clearLine.matcher(line).matches()))
        .as(output)
        .hasSize(1);
    assertThat(output).as("not retried as if the broker were down").doesNotContain("retrying");
    assertThat(output).doesNotContain(WRONG_PASSWORD).doesNotContain(PASSWORD);
  }

  @Test
  void shouldNotEchoThePasswordInHelpOrConfigurationErrors() {
    final String jaas = EmbeddedKafkaBroker.plainJaasConfig(USER, PASSWORD);
    final Map<String, String> environment = Map.of(JAAS_VARIABLE, jaas);

    final Result help = execute(environment, "run", "--help");
    final Result badPort = execute(environment, "run", "-D", "modelmon.http.port=not-a-port");
    final Result badWindows =
        execute(
            Map.of(),
            "run",
            "-D",
            "kafka.sasl.jaas.config=" + jaas,
            "-D",
            "modelmon.windows=1m,soon");

    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("--config");
    assertThat(badPort.exitCode()).isEqualTo(Main.EXIT_CONFIG_ERROR);
    assertThat(badPort.err()).contains("modelmon.http.port");
    assertThat(badWindows.exitCode()).isEqualTo(Main.EXIT_CONFIG_ERROR);
    assertThat(badWindows.err()).contains("modelmon.windows");
    for (final Result result : List.of(help, badPort, badWindows)) {
      assertThat(result.out() + result.err()).doesNotContain(PASSWORD);
    }
  }

  private ModelmonProcess startModelmon(final String password) throws IOException {
    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    final Path config = workDir.resolve("modelmon.properties");
    // No secret in the file: the password comes from the environment only.
    Files.writeString(
        config,
        String.join(
            "\n",
            "modelmon.bootstrap.servers=" + broker.bootstrapServers(),
            "modelmon.application.id=modelmon-sasl-" + suffix,
            "modelmon.state.dir=" + workDir.resolve("state"),
            "modelmon.topic.predictions=" + topic("predictions"),
            "modelmon.topic.labels=" + topic("labels"),
            "modelmon.topic.dlq=" + topic("dlq"),
            "modelmon.topic.references=" + topic("references"),
            "modelmon.topic.windows=" + topic("windows"),
            "modelmon.http.host=127.0.0.1",
            "kafka.security.protocol=SASL_PLAINTEXT",
            "kafka.sasl.mechanism=PLAIN",
            ""));
    return ModelmonProcess.start(
        config,
        ModelmonProcess.freePort(),
        workDir.resolve("modelmon.out"),
        Map.of(JAAS_VARIABLE, EmbeddedKafkaBroker.plainJaasConfig(USER, password)));
  }

  // The same topics for both tests is fine: each test has its own application id, and the second
  // never gets as far as creating any.
  private static String topic(final String name) {
    return "sasl-" + name;
  }

  private static KafkaProducer<String, String> producer(final String password) {
    final Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
    props.put(SaslConfigs.SASL_JAAS_CONFIG, EmbeddedKafkaBroker.plainJaasConfig(USER, password));
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private static String event() {
    return "{\"model\":\""
        + MODEL
        + "\",\"version\":\"v1\",\"timestamp\":\""
        + Instant.now()
        + "\",\"probabilities\":{\"yes\":0.7,\"no\":0.3},\"label\":\"yes\"}";
  }

  private void awaitPredictionScored() throws IOException, InterruptedException {
    awaitBody(
        "/metrics",
        body ->
            PrometheusText.parse(body)
                .value("modelmon_predictions_total", "model", MODEL, "version", "v1")
                .filter(count -> count >= 1)
                .isPresent());
  }

  private void awaitBody(final String path, final Predicate<String> done)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      final HttpResponse<String> response = get(path);
      last = response.statusCode() + " " + response.body();
      if (response.statusCode() == 200 && done.test(response.body())) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(path + " never as expected; last: " + last + "\n" + modelmon.tail());
  }

  private HttpResponse<String> get(final String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + modelmon.httpPort() + path))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static Result execute(final Map<String, String> environment, final String... args) {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final CommandLine commandLine = Main.commandLine(environment);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    final int exitCode = commandLine.execute(args);
    return new Result(exitCode, out.toString(), err.toString());
  }

  private record Result(int exitCode, String out, String err) {}
}
