package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code modelmon demo}'s command line: its help, and bad flags refused before anything starts. */
class DemoCommandTest {

  @Test
  void shouldListEveryFlagInItsHelp() {
    final StringWriter out = new StringWriter();
    final CommandLine commandLine = Main.commandLine(Map.of());
    commandLine.setOut(new PrintWriter(out));

    final int exitCode = commandLine.execute("demo", "--help");

    assertThat(exitCode).isZero();
    assertThat(out.toString())
        .startsWith("Usage: modelmon demo ")
        .contains(
            "--rate=N",
            "--duration=DURATION",
            "--drift-after=DURATION",
            "--seed=N",
            "--invalid-rate=SHARE",
            "--data-dir=DIR",
            "--http-port=PORT",
            "--broker-port=PORT",
            "--bootstrap-servers=HOST:PORT",
            "--traffic-only");
  }

  @Test
  void shouldRefuseBadFlagsWithTheOptionsName() {
    assertRefused("--rate must be > 0", "--rate", "0");
    assertRefused("--invalid-rate must be in [0, 1]", "--invalid-rate", "1.5");
    assertRefused("--duration must be positive", "--duration", "0s");
    assertRefused("--drift-after must not be negative", "--drift-after", "-1m");
    assertRefused("--http-port must be a port", "--http-port", "70000");
    assertRefused("--broker-port must be a port", "--broker-port", "-1");
    assertRefused("Invalid value for option '--duration'", "--duration", "soon");
    assertRefused("--traffic-only needs --bootstrap-servers", "--traffic-only");
  }

  private static void assertRefused(final String message, final String... flags) {
    final StringWriter err = new StringWriter();
    final CommandLine commandLine = Main.commandLine(Map.of());
    commandLine.setOut(new PrintWriter(new StringWriter()));
    commandLine.setErr(new PrintWriter(err));
    final String[] args = new String[flags.length + 1];
    args[0] = "demo";
    System.arraycopy(flags, 0, args, 1, flags.length);

    final int exitCode = commandLine.execute(args);

    assertThat(exitCode).as(String.join(" ", flags)).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err.toString()).contains(message);
  }
}
