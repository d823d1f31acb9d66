package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code reference publish} without a broker: help, and every input it refuses before it talks to
 * Kafka. The bootstrap address is a closed port, so a command that got as far as Kafka would exit
 * 1, not 2.
 */
class ReferencePublishCommandTest {

  private static String closedPort;

  @TempDir Path dir;

  @BeforeAll
  static void findAClosedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = "127.0.0.1:" + socket.getLocalPort();
    }
  }

  @Test
  void shouldListReferenceInTheTopLevelHelp() {
    final Result result = execute("--help");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).contains("reference");
  }

  @Test
  void shouldListPublishInTheReferenceHelp() {
    final Result result = execute("reference", "--help");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).startsWith("Usage: modelmon reference ").contains("publish");
  }

  @Test
  void shouldPrintPublishUsage() {
    final Result result = execute("reference", "publish", "--help");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .startsWith("Usage: modelmon reference publish ")
        .contains(
            "--model=M",
            "[--version=V]",
            "(--distribution=CLASS=P[,CLASS=P...] |", // the synopsis wraps here
            "--from-labels=FILE)",
            "[--effective-from=TIME]",
            "--config=FILE",
            "-D, --set=KEY=VALUE");
  }

  @Test
  void shouldRequireAReferenceSubcommand() {
    final Result result = execute("reference");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("Missing required subcommand", "Usage: modelmon reference");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiterString = "=>",
      value = {
        "--model m => modelmon: Missing required"
            + " argument (specify one of these): (--distribution=CLASS=P[,CLASS=P...] |"
            + " --from-labels=FILE) (see: modelmon reference publish --help)",
        "--model m --distribution a=0.5,b=0.5 --from-labels f => modelmon:"
            + " --distribution=CLASS=P[,CLASS=P...], --from-labels=FILE are mutually exclusive"
            + " (specify only one) (see: modelmon reference publish --help)",
        "--distribution a=0.5,b=0.5 => modelmon: Missing required option:"
            + " '--model=M' (see: modelmon reference publish --help)",
        "--model m --distribution a=0.5,b=0.5 --bogus => modelmon: Unknown option:"
            + " '--bogus' (see: modelmon reference publish --help)",
        "--model m@v3 --distribution a=0.5,b=0.5 => modelmon: --model \"m@v3\": not a"
            + " model name (1-128 characters of A-Z a-z 0-9 _ . : / -)",
        "--model m --version v@3 --distribution a=0.5,b=0.5 => modelmon: --version \"v@3\": not a"
            + " version (0-64 characters of A-Z a-z 0-9 _ . : / -)",
        "--model m --distribution a=0.5,b=half => modelmon: --distribution item 2"
            + " \"b=half\": \"half\" is not a decimal number (e.g. 0.25)",
        "--model m --distribution a=0.5,a=0.5 => modelmon: --distribution item 2"
            + " \"a=0.5\": class \"a\" is given twice; each class once",
        "--model m --distribution a=0.5,b=0.6 => modelmon: --distribution: not a"
            + " valid reference: distribution sums to 1.1, more than 0.001 away from 1",
        "--model m --distribution a=1 => modelmon: --distribution: not a"
            + " valid reference: distribution has 1 classes, fewer than 2",
        "--model m --distribution a=1.5,b=-0.5 => modelmon: --distribution: not a"
            + " valid reference: distribution entry 0 is not a finite number in [0, 1]",
        "--model m --distribution a=0.5,b=0.5 --effective-from yesterday => modelmon:"
            + " --effective-from \"yesterday\": not an RFC 3339 date-time (e.g."
            + " 2026-11-28T14:00:00Z) or epoch milliseconds since 1970",
        "--model m --distribution a=0.5,b=0.5 --effective-from 1969-12-31T23:59:59Z =>"
            + " modelmon: --effective-from \"1969-12-31T23:59:59Z\": not an RFC 3339 date-time"
            + " (e.g. 2026-11-28T14:00:00Z) or epoch milliseconds since 1970",
        "--model m --distribution a=0.5,b=0.5 -D modelmon.probability.tolerance=2 => modelmon:"
            + " modelmon.probability.tolerance: \"2\" is not a number ≥ 0 and < 1 (e.g. 1e-3)"
            + " (set on the command line)",
      })
  void shouldRefuseBadInputWithOneLineAndExit2(final String args, final String expected) {
    final Result result = execute(withClosedBroker(args.split(" +")));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines()).containsExactly(expected);
  }

  @Test
  void shouldApplyTheConfiguredTolerance() {
    final Result result =
        execute(
            withClosedBroker(
                "--model",
                "m",
                "--distribution",
                "a=0.5,b=0.5004",
                "-D",
                "modelmon.probability.tolerance=1e-4"));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err()).contains("distribution sums to 1.0004, more than 1.0E-4 away from 1");
  }

  @Test
  void shouldRefuseAnInvalidLabelsLineWithItsNumber() throws IOException {
    final Path labels = dir.resolve("labels.jsonl");
    Files.writeString(labels, "\"a\"\n\"b\"\n{\"model\": \"m\", \"label\": \"a\"}\n", UTF_8);

    final Result result =
        execute(withClosedBroker("--model", "m", "--from-labels", labels.toString()));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .containsExactly(
            "modelmon: --from-labels "
                + labels
                + " line 3: invalid label event (an object without probabilities or score):"
                + " MISSING_FIELD: no id");
  }

  @Test
  void shouldRefuseLabelsOfASingleClass() throws IOException {
    final Path labels = dir.resolve("labels.jsonl");
    Files.writeString(labels, "\"a\"\n\"a\"\n", UTF_8);

    final Result result =
        execute(withClosedBroker("--model", "m", "--from-labels", labels.toString()));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .containsExactly(
            "modelmon: --from-labels "
                + labels
                + ": not a valid reference: distribution has 1 classes, fewer than 2");
  }

  @Test
  void shouldRefuseAMissingLabelsFile() {
    final Path missing = dir.resolve("missing.jsonl");

    final Result result =
        execute(withClosedBroker("--model", "m", "--from-labels", missing.toString()));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .containsExactly("modelmon: --from-labels " + missing + ": no such file");
  }

  @Test
  void shouldPassKafkaSettingsToTheClients() {
    // The clients refuse the setting before any connection: proof that it reached them.
    final Result result =
        execute(
            withClosedBroker(
                "--model",
                "m",
                "--distribution",
                "a=0.5,b=0.5",
                "-D",
                "kafka.security.protocol=NOPE"));

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .singleElement()
        .asString()
        .startsWith(
            "modelmon: cannot create a Kafka client: Invalid value NOPE for configuration"
                + " security.protocol");
  }

  @Test
  void shouldExit1WithOneLineWhenTheBrokerCannotBeReached() {
    final Result result =
        execute(
            Duration.ofSeconds(2),
            withClosedBroker("--model", "m", "--distribution", "a=0.5,b=0.5"));

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines())
        .containsExactly(
            "modelmon: cannot set up topic model-references: no answer from the Kafka cluster at "
                + closedPort
                + " within 2s (modelmon.bootstrap.servers; is it reachable?)");
  }

  private static String[] withClosedBroker(final String... args) {
    final List<String> all = new ArrayList<>(List.of("reference", "publish"));
    all.addAll(Arrays.asList(args));
    all.add("-D");
    all.add("modelmon.bootstrap.servers=" + closedPort);
    return all.toArray(String[]::new);
  }

  private static Result execute(final String... args) {
    return execute(ReferencePublishCommand.DEFAULT_TIMEOUT, args);
  }

  private static Result execute(final Duration timeout, final String... args) {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final CommandLine commandLine = Main.commandLine(Map.of(), timeout);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));

    final int exitCode = commandLine.execute(args);

    return new Result(exitCode, out.toString(), err.toString());
  }

  private record Result(int exitCode, String out, String err) {}
}
