package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {

  @TempDir Path dir;

  @Test
  void shouldPrintUsageOnHelp() {
    final Result result = execute(Map.of(), "--help");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).startsWith("Usage: modelmon ").contains("--version", "run");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void shouldPrintRunUsageOnRunHelp() {
    final Result result = execute(Map.of(), "run", "--help");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out())
        .startsWith("Usage: modelmon run ")
        .contains("--config=FILE", "-D, --set=KEY=VALUE");
  }

  @Test
  void shouldPrintVersionFromManifestOrDev() {
    final Result result = execute(Map.of(), "--version");

    assertThat(result.exitCode()).isZero();
    // Tests run from target/classes, which has no manifest; the jar's says 0.1.0-SNAPSHOT etc.
    assertThat(result.out()).isEqualTo("modelmon dev" + System.lineSeparator());
  }

  @Test
  void shouldRequireACommand() {
    final Result result = execute(Map.of());

    assertThat(result.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(result.err()).contains("Missing required command", "Usage: modelmon");
  }

  @Test
  void shouldExitWith2AndOneLineNamingTheKeyForABadFlag() {
    final Result result = execute(Map.of(), "run", "-D", "modelmon.http.port=70000");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err().lines())
        .containsExactly(
            "modelmon: modelmon.http.port: \"70000\" is not a port number from 0 to 65535 (0 picks"
                + " a free port) (set on the command line)");
  }

  @Test
  void shouldExitWith2ForABadEnvironmentVariable() {
    final Result result = execute(Map.of("MODELMON_WINDOW_GRACE", "-5s"), "run");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .singleElement()
        .asString()
        .startsWith("modelmon: modelmon.window.grace: \"-5s\" is not a duration");
  }

  @Test
  void shouldLetFlagsOverrideABadEnvironmentVariable() {
    // The flag wins, so the bad port from the environment is never read; the next bad value is.
    final Result result =
        execute(
            Map.of("MODELMON_HTTP_PORT", "abc"),
            "run",
            "--set=modelmon.http.port=9000",
            "-Dmodelmon.windows=1m,60s");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .singleElement()
        .asString()
        .startsWith("modelmon: modelmon.windows: \"1m,60s\" has the window size 1m twice");
  }

  @Test
  void shouldExitWith2ForAMissingConfigFile() {
    final Path missing = dir.resolve("nope.properties");

    final Result result = execute(Map.of(), "run", "--config", missing.toString());

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .containsExactly("modelmon: --config " + missing + ": no such file");
  }

  @Test
  void shouldExitWith2ForAFlagWithoutValue() {
    final Result result = execute(Map.of(), "run", "-D", "modelmon.http.port");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.err().lines())
        .containsExactly(
            "modelmon: -D \"modelmon.http.port\": expected KEY=VALUE, e.g. -D"
                + " modelmon.http.port=9000");
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
