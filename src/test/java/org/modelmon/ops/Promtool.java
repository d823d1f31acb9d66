package org.modelmon.ops;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus' promtool for the tests of modelmon's rules and dashboard. bin/test installs it
 * (Debian package {@code prometheus}); a missing promtool fails the test instead of skipping it,
 * so that unchecked rules never pass for checked ones.
 */
final class Promtool {

  private static final long TIMEOUT_MINUTES = 10;

  /** What one promtool run printed, and its exit status. */
  record Result(int exitCode, String output) {}

  private Promtool() {}

  /** Runs {@code promtool args...} in the working directory and waits for it. */
  static Result run(final String... args) throws IOException, InterruptedException {
    final List<String> command = new ArrayList<>();
    command.add(executable().toString());
    command.addAll(List.of(args));
    final Path output = Files.createTempFile("promtool", ".out");
    try {
      final Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError(
            "promtool " + String.join(" ", args) + " ran for more than " + TIMEOUT_MINUTES
                + " minutes");
      }
      return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /** promtool on the PATH; fails the calling test when there is none. */
  static Path executable() {
    final String path = System.getenv().getOrDefault("PATH", "");
    for (final String directory : path.split(File.pathSeparator)) {
      if (directory.isEmpty()) {
        continue;
      }
      final Path candidate = Path.of(directory, "promtool");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return fail(
        "promtool is not on the PATH (%s): run bin/test, which installs it, or install the"
            + " Debian package prometheus",
        path);
  }
}
