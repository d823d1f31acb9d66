package org.modelmon.ops;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command-line tool that {@code bin/test} installs (docker-compose, promtool, amtool, node,
 * npm). A missing tool fails the test that needs it, never skips it: a check that silently does not
 * run is worse than none.
 */
final class ExternalTool {

  /** What a finished tool printed and how it exited. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {

    /** The result, after failing the test unless the tool exited 0. */
    Result assertSucceeded() {
      if (exitCode != 0) {
        fail(
            "%s exited %d%nstdout:%n%s%nstderr:%n%s",
            String.join(" ", command), exitCode, stdout, stderr);
      }
      return this;
    }
  }

  private ExternalTool() {}

  /**
   * Runs {@code command} in {@code directory} with {@code stdin} as its standard input, waiting at
   * most {@code timeout}.
   */
  static Result run(
      final Path directory, final String stdin, final Duration timeout, final String... command) {
    final List<String> commandLine = List.of(command);
    try {
      // Output to files, not pipes: a tool that fills one pipe while we read the other would
      // never finish.
      final Path out = Files.createTempFile("modelmon-tool", ".out");
      final Path err = Files.createTempFile("modelmon-tool", ".err");
      try {
        final Process process;
        try {
          process =
              new ProcessBuilder(commandLine)
                  .directory(directory.toFile())
                  .redirectOutput(out.toFile())
                  .redirectError(err.toFile())
                  .start();
        } catch (final IOException e) {
          return fail(
              "%s cannot be run (%s): bin/test installs it (REQUIRED_COMMANDS)",
              command[0], e.getMessage());
        }
        try (var input = process.getOutputStream()) {
          input.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          return fail("%s did not finish within %s", String.join(" ", commandLine), timeout);
        }
        return new Result(
            commandLine,
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (final IOException e) {
      return fail("running %s: %s", String.join(" ", commandLine), e);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted while running %s", String.join(" ", commandLine));
    }
  }
}
