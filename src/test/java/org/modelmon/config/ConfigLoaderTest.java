package org.modelmon.config;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modelmon.detector.DetectorSettings;

class ConfigLoaderTest {

  @TempDir Path dir;

  @Test
  void shouldUseDefaultsWhenNothingIsSet() {
    final ModelmonConfig config = ConfigLoader.load(Optional.empty(), Map.of(), Map.of());

    assertThat(config.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(config.applicationId()).isEqualTo("modelmon");
    assertThat(config.stateDir()).isEmpty();
    assertThat(config.processingGuarantee()).isEqualTo("exactly_once_v2");
    assertThat(config.predictionsTopic()).isEqualTo("predictions");
    assertThat(config.dlqTopic()).isEqualTo("predictions-dlq");
    assertThat(config.referencesTopic()).isEqualTo("model-references");
    assertThat(config.windowsTopic()).isEqualTo("model-window-metrics");
    assertThat(config.windows())
        .containsExactly(
            new WindowSpec("1m", Duration.ofMinutes(1)),
            new WindowSpec("5m", Duration.ofMinutes(5)),
            new WindowSpec("1h", Duration.ofHours(1)));
    assertThat(config.grace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.idleClose()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.epsilon()).isEqualTo(1e-15);
    assertThat(config.probabilityTolerance()).isEqualTo(1e-3);
    assertThat(config.maxClasses()).isEqualTo(1000);
    assertThat(config.maxFutureSkew()).isEqualTo(Duration.ofHours(1));
    assertThat(config.maxModels()).isEqualTo(1000);
    assertThat(config.metricsMaxClasses()).isEqualTo(50);
    assertThat(config.calibrationBins()).isEqualTo(10);
    assertThat(config.alarmsTopic()).isEqualTo("model-drift-alarms");
    // The detector reads the smallest window, whatever the order windows are listed in.
    assertThat(config.detector()).isEqualTo(new DetectorSettings("1m", 20, 60, 50, 1, 12));
    assertThat(config.httpHost()).isEqualTo("0.0.0.0");
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.kafka()).isEmpty();
    assertThat(ModelmonConfig.defaults()).isEqualTo(config);
  }

  @Test
  void shouldLetEachLayerOverrideThePreviousOne() throws IOException {
    final Path file =
        properties(
            "modelmon.http.port=1001",
            "modelmon.topic.dlq=from-file",
            "modelmon.application.id=from-file",
            "modelmon.window.grace=1s");
    final Map<String, String> environment =
        Map.of(
            "MODELMON_HTTP_PORT", "1002",
            "MODELMON_TOPIC_DLQ", "from-env",
            "MODELMON_WINDOW_IDLE_CLOSE", "2m");
    final Map<String, String> flags = Map.of("modelmon.http.port", "1003");

    final ModelmonConfig config = ConfigLoader.load(Optional.of(file), environment, flags);

    assertThat(config.httpPort()).as("flag over env over file").isEqualTo(1003);
    assertThat(config.dlqTopic()).as("env over file").isEqualTo("from-env");
    assertThat(config.applicationId()).as("file over default").isEqualTo("from-file");
    assertThat(config.grace()).as("file over default").isEqualTo(Duration.ofSeconds(1));
    assertThat(config.idleClose()).as("env over default").isEqualTo(Duration.ofMinutes(2));
    assertThat(config.maxModels()).as("default").isEqualTo(1000);
  }

  @Test
  void shouldLetFlagsOverrideTheFile() throws IOException {
    final Path file = properties("modelmon.epsilon=1e-9");

    final ModelmonConfig config =
        ConfigLoader.load(Optional.of(file), Map.of(), Map.of("modelmon.epsilon", "1e-12"));

    assertThat(config.epsilon()).isEqualTo(1e-12);
  }

  @Test
  void shouldMapEnvironmentVariablesToKnownKeys() {
    final Map<String, String> environment =
        Map.of(
            "MODELMON_BOOTSTRAP_SERVERS", "broker:9093",
            "MODELMON_STATE_DIR", "/var/lib/modelmon",
            "MODELMON_PROCESSING_GUARANTEE", "at_least_once",
            "MODELMON_MAX_FUTURE_SKEW", "10m",
            "MODELMON_METRICS_MAX_CLASSES", "0",
            "PATH", "/usr/bin",
            "modelmon_http_port", "not ours: lower case");

    final ModelmonConfig config = ConfigLoader.load(Optional.empty(), environment, Map.of());

    assertThat(config.bootstrapServers()).isEqualTo("broker:9093");
    assertThat(config.stateDir()).contains("/var/lib/modelmon");
    assertThat(config.processingGuarantee()).isEqualTo("at_least_once");
    assertThat(config.maxFutureSkew()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.metricsMaxClasses()).isZero();
    assertThat(config.httpPort()).isEqualTo(8080);
  }

  @Test
  void shouldPassKafkaKeysThroughWithoutThePrefix() throws IOException {
    final Path file =
        properties(
            "kafka.security.protocol=SASL_SSL",
            "kafka.sasl.mechanism=PLAIN",
            "kafka.client.id=from-file");
    final Map<String, String> environment =
        Map.of(
            "MODELMON_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
            "MODELMON_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/truststore.p12");
    final Map<String, String> flags =
        Map.of("kafka.client.id", "from-flag", "kafka.linger.ms", "5");

    final ModelmonConfig config = ConfigLoader.load(Optional.of(file), environment, flags);

    assertThat(config.kafka())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "ssl.truststore.location", "/etc/truststore.p12",
                "client.id", "from-flag",
                "linger.ms", "5"));
  }

  @Test
  void shouldKeepWindowLabelsAsWrittenInConfiguredOrder() {
    final ModelmonConfig config =
        ConfigLoader.load(
            Optional.empty(), Map.of(), Map.of("modelmon.windows", " 30s , PT5M,1d,500ms"));

    assertThat(config.windows())
        .containsExactly(
            new WindowSpec("30s", Duration.ofSeconds(30)),
            new WindowSpec("PT5M", Duration.ofMinutes(5)),
            new WindowSpec("1d", Duration.ofDays(1)),
            new WindowSpec("500ms", Duration.ofMillis(500)));
  }

  @Test
  void shouldReadThePropertiesFileAsUtf8() throws IOException {
    final Path file = properties("kafka.client.id=modèle-überwachung", "modelmon.http.port=9000 ");

    final ModelmonConfig config = ConfigLoader.load(Optional.of(file), Map.of(), Map.of());

    assertThat(config.kafka()).containsEntry("client.id", "modèle-überwachung");
    assertThat(config.httpPort()).as("trailing blank ignored").isEqualTo(9000);
  }

  @Test
  void shouldTreatABlankStateDirAsUnset() throws IOException {
    final Path file = properties("modelmon.state.dir=/data/modelmon");

    final ModelmonConfig config =
        ConfigLoader.load(Optional.of(file), Map.of("MODELMON_STATE_DIR", ""), Map.of());

    assertThat(config.stateDir()).isEmpty();
  }

  @Test
  void shouldRejectABadWindowSpec() {
    assertRejected(flag("modelmon.windows", "1m,five"))
        .hasMessageStartingWith("modelmon.windows: \"1m,five\" ")
        .hasMessageContaining("\"five\" is not a duration");
    assertRejected(flag("modelmon.windows", "1m,,5m")).hasMessageStartingWith("modelmon.windows:");
    assertRejected(flag("modelmon.windows", "0s")).hasMessageStartingWith("modelmon.windows:");
    assertRejected(flag("modelmon.windows", "")).hasMessageStartingWith("modelmon.windows:");
  }

  @Test
  void shouldRejectADuplicateWindowSize() {
    assertRejected(flag("modelmon.windows", "1m,5m,60s"))
        .hasMessage(
            "modelmon.windows: \"1m,5m,60s\" has the window size 1m twice (\"1m\" and \"60s\");"
                + " window sizes must differ (set on the command line)");
  }

  @Test
  void shouldRejectANegativeGrace() {
    assertRejected(flag("modelmon.window.grace", "-5s"))
        .hasMessage(
            "modelmon.window.grace: \"-5s\" is not a duration ≥ 0 (e.g. 30s, 5m, PT30S)"
                + " (set on the command line)");
  }

  @Test
  void shouldRejectAZeroIdleClose() {
    assertRejected(flag("modelmon.window.idle.close", "0s"))
        .hasMessageStartingWith("modelmon.window.idle.close: \"0s\" is not a duration > 0");
  }

  @Test
  void shouldRejectAPortOutOfRange() {
    assertRejected(Map.of("MODELMON_HTTP_PORT", "65536"), Map.of())
        .hasMessage(
            "modelmon.http.port: \"65536\" is not a port number from 0 to 65535 (0 picks a free"
                + " port) (set by environment variable MODELMON_HTTP_PORT)");
    assertRejected(flag("modelmon.http.port", "-1")).hasMessageStartingWith("modelmon.http.port:");
    assertRejected(flag("modelmon.http.port", "http"))
        .hasMessageStartingWith("modelmon.http.port:");
  }

  @Test
  void shouldRejectAnUnknownProcessingGuarantee() {
    assertRejected(flag("modelmon.processing.guarantee", "exactly_once"))
        .hasMessageStartingWith(
            "modelmon.processing.guarantee: \"exactly_once\" is not a processing guarantee"
                + " (expected exactly_once_v2 or at_least_once)");
  }

  @Test
  void shouldRejectAnEpsilonOutOfRange() {
    assertRejected(flag("modelmon.epsilon", "0"))
        .hasMessageStartingWith("modelmon.epsilon: \"0\" is not a number > 0 and < 1");
    assertRejected(flag("modelmon.epsilon", "1")).hasMessageStartingWith("modelmon.epsilon:");
    assertRejected(flag("modelmon.epsilon", "NaN")).hasMessageStartingWith("modelmon.epsilon:");
  }

  @Test
  void shouldRejectAProbabilityToleranceOutOfRange() {
    assertRejected(flag("modelmon.probability.tolerance", "-0.1"))
        .hasMessageStartingWith("modelmon.probability.tolerance: \"-0.1\" is not a number ≥ 0");
  }

  @Test
  void shouldTakeTheSmallestWindowForTheDetectorUnlessOneIsNamed() {
    assertThat(load(flag("modelmon.windows", "1h,30s,5m")).detector().window()).isEqualTo("30s");
    assertThat(
            load(Map.of(
                    "modelmon.windows", "1m,5m",
                    "modelmon.detector.window", "5m",
                    "modelmon.detector.k", "1",
                    "modelmon.detector.h", "4.5",
                    "modelmon.detector.warmup", "30"))
                .detector())
        .isEqualTo(new DetectorSettings("5m", 20, 30, 50, 1.0, 4.5));
  }

  @Test
  void shouldRejectBadDetectorAndCalibrationSettings() {
    assertRejected(flag("modelmon.detector.window", "10m"))
        .hasMessage(
            "modelmon.detector.window: \"10m\" is not one of modelmon.windows (1m,5m,1h)"
                + " (set on the command line)");
    assertRejected(flag("modelmon.detector.warmup", "1"))
        .hasMessageStartingWith("modelmon.detector.warmup: \"1\" is not an integer from 2 to");
    // Its warm-up windows are one changelog record: 512 KiB / (44 + 24·10) bytes at most.
    assertThat(load(flag("modelmon.detector.warmup", "1846")).detector().warmup()).isEqualTo(1846);
    assertRejected(flag("modelmon.detector.warmup", "1847"))
        .hasMessage(
            "modelmon.detector.warmup: \"1847\" is not an integer from 2 to 1846 (the most the"
                + " detector keeps with modelmon.calibration.bins=10) (set on the command line)");
    assertRejected(flag("modelmon.detector.min.labelled", "0"))
        .hasMessageStartingWith("modelmon.detector.min.labelled: \"0\" is not an integer ≥ 1");
    assertRejected(flag("modelmon.detector.min.bin", "x"))
        .hasMessageStartingWith("modelmon.detector.min.bin:");
    assertRejected(flag("modelmon.detector.k", "-0.5"))
        .hasMessageStartingWith("modelmon.detector.k: \"-0.5\" is not a number ≥ 0");
    assertRejected(flag("modelmon.detector.h", "0"))
        .hasMessageStartingWith("modelmon.detector.h: \"0\" is not a number > 0");
    assertRejected(flag("modelmon.detector.h", "1e400"))
        .hasMessageStartingWith("modelmon.detector.h:");
    assertRejected(flag("modelmon.detector.h", "NaN"))
        .hasMessageStartingWith("modelmon.detector.h:");
    assertRejected(flag("modelmon.calibration.bins", "0"))
        .hasMessageStartingWith("modelmon.calibration.bins: \"0\" is not an integer from 1 to 20");
    assertRejected(flag("modelmon.calibration.bins", "21"))
        .hasMessageStartingWith("modelmon.calibration.bins:");
    assertRejected(flag("modelmon.topic.alarms", "model-window-metrics"))
        .hasMessageStartingWith("modelmon.topic.alarms:");
  }

  @Test
  void shouldRejectTooFewClasses() {
    assertRejected(flag("modelmon.max.classes", "1"))
        .hasMessageStartingWith("modelmon.max.classes: \"1\" is not an integer ≥ 2");
  }

  @Test
  void shouldRejectAnInvalidOrSharedTopicName() {
    assertRejected(flag("modelmon.topic.windows", "model windows"))
        .hasMessageStartingWith(
            "modelmon.topic.windows: \"model windows\" is not a valid Kafka topic name");
    assertRejected(flag("modelmon.topic.dlq", "predictions"))
        .hasMessageStartingWith(
            "modelmon.topic.dlq: \"predictions\" is also modelmon.topic.predictions");
  }

  @Test
  void shouldRejectAnUnknownModelmonKey() throws IOException {
    final Path file = properties("modelmon.http.prot=9000");

    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "modelmon.http.prot: unknown key (set in "
                + file
                + "); did you mean modelmon.http.port?");
    assertRejected(flag("http.port", "9000"))
        .hasMessageStartingWith("http.port: not a configuration key");
  }

  @Test
  void shouldRejectAnUnknownModelmonEnvironmentVariable() {
    assertRejected(Map.of("MODELMON_WINDOW_GARCE", "10s"), Map.of())
        .hasMessageStartingWith("MODELMON_WINDOW_GARCE: unknown environment variable")
        .hasMessageEndingWith("did you mean MODELMON_WINDOW_GRACE?");
  }

  @Test
  void shouldAcceptTheLogLevelVariableThatTheLoggingConfigurationReads() {
    // src/main/resources/logback.xml reads MODELMON_LOG_LEVEL; it is no configuration key.
    final ModelmonConfig config =
        ConfigLoader.load(Optional.empty(), Map.of("MODELMON_LOG_LEVEL", "DEBUG"), Map.of());
    assertThat(config.httpPort()).isEqualTo(8080);
  }

  @Test
  void shouldRejectKafkaKeysThatModelmonOwns() {
    assertRejected(Map.of("MODELMON_KAFKA_BOOTSTRAP_SERVERS", "broker:9092"), Map.of())
        .hasMessageStartingWith("kafka.bootstrap.servers: set modelmon.bootstrap.servers instead");
  }

  @Test
  void shouldRejectAMissingConfigFile() {
    final Path missing = dir.resolve("missing.properties");

    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(missing), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--config " + missing + ": no such file");
  }

  @Test
  void shouldRejectAConfigFileThatIsNotUtf8() throws IOException {
    final Path file = dir.resolve("latin1.properties");
    Files.write(file, "kafka.client.id=mod\u00e8le\n".getBytes(ISO_8859_1));

    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("--config " + file + ": not valid UTF-8");
  }

  @Test
  void shouldKeepTheMessageOnOneLineWhateverTheValue() {
    assertRejected(flag("modelmon.http.port", "80\n80"))
        .hasMessageStartingWith("modelmon.http.port: \"80\\n80\" is not a port number")
        .hasMessageNotContaining("\n");
  }

  @Test
  void shouldHideSecretsWhenDescribed() {
    final ModelmonConfig config =
        ConfigLoader.load(
            Optional.empty(),
            Map.of("MODELMON_KAFKA_SASL_JAAS_CONFIG", "PlainLoginModule password=\"hunter2\";"),
            Map.of(
                "kafka.ssl.key.password", "s3cret-key",
                "kafka.sasl.oauthbearer.client.credentials.client.SECRET", "s3cret-oauth",
                "kafka.sasl.mechanism", "PLAIN"));

    final String described = config.describe();

    assertThat(described)
        .startsWith("modelmon.bootstrap.servers=localhost:9092, modelmon.application.id=modelmon")
        .contains("modelmon.windows=1m,5m,1h, modelmon.window.grace=30s")
        .contains("kafka.sasl.jaas.config=[hidden]")
        .contains("kafka.ssl.key.password=[hidden]")
        .contains("kafka.sasl.oauthbearer.client.credentials.client.SECRET=[hidden]")
        .contains("kafka.sasl.mechanism=PLAIN")
        .doesNotContain("hunter2", "s3cret")
        .doesNotContain("\n");
    assertThat(config.toString()).contains(described).doesNotContain("hunter2", "s3cret");
  }

  private Path properties(final String... lines) throws IOException {
    final Path file = Files.createTempFile(dir, "modelmon", ".properties");
    Files.write(file, List.of(lines), UTF_8);
    return file;
  }

  private static ModelmonConfig load(final Map<String, String> flags) {
    return ConfigLoader.load(Optional.empty(), Map.of(), flags);
  }

  private static Map<String, String> flag(final String key, final String value) {
    return Map.of(key, value);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
      final Map<String, String> flags) {
    return assertRejected(Map.of(), flags);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
      final Map<String, String> environment, final Map<String, String> flags) {
    return assertThatThrownBy(() -> ConfigLoader.load(Optional.empty(), environment, flags))
        .isInstanceOf(ConfigException.class);
  }
}
