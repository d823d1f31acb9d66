package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/modelmon} as a user runs it from their own directory: relative paths in its
 * arguments are the caller's, not the repository's.
 *
 * <p>An integration test, so that it runs after {@code package} has built {@code
 * target/modelmon.jar}; {@code MODELMON_JAR} points the script at that jar, so the test never
 * starts a build of its own. Both commands fail on their input before they would contact Kafka,
 * each with a message that tells a file found and read from a file not found.
 */
class BinModelmonIT {

  /** Failsafe runs tests in the project's base directory, the repository root. */
  private static final Path REPOSITORY = Path.of("").toAbsolutePath();

  private static final Path JAR = REPOSITORY.resolve("target/modelmon.jar");

  private record Result(int exitCode, String stdout, String stderr) {}

  @Test
  void shouldReadReferenceLabelsRelativeToTheCallersDirectory(@TempDir final Path caller)
      throws Exception {
    // One class only: found and read, it is refused as a reference (fewer than 2 classes).
    Files.writeString(caller.resolve("labels.jsonl"), "\"stay\"\n\"stay\"\n", UTF_8);

    final Result result =
        run(
            caller,
            "reference",
            "publish",
            "--model",
            "churn",
            "--from-labels",
            "labels.jsonl",
            "-D",
            "modelmon.bootstrap.servers=127.0.0.1:9");

    assertThat(result.stderr())
        .contains("--from-labels labels.jsonl: not a valid reference")
        .contains("fewer than 2")
        .doesNotContain("no such file");
    assertThat(result.exitCode()).isEqualTo(2);
  }

  @Test
  void shouldReadTheConfigFileRelativeToTheCallersDirectory(@TempDir final Path caller)
      throws Exception {
    Files.writeString(caller.resolve("my.properties"), "modelmon.http.port=eighty\n", UTF_8);

    final Result result = run(caller, "run", "--config", "my.properties");

    assertThat(result.stderr())
        .contains("modelmon.http.port: \"eighty\" is not a port number")
        .contains("in my.properties")
        .doesNotContain("no such file");
    assertThat(result.exitCode()).isEqualTo(2);
  }

  private static Result run(final Path directory, final String... arguments)
      throws IOException, InterruptedException {
    assertThat(JAR).as("built by mvn package before the integration tests").isRegularFile();
    final List<String> command = new ArrayList<>();
    command.add(REPOSITORY.resolve("bin/modelmon").toString());
    command.addAll(List.of(arguments));
    final Path stdout = Files.createTempFile("bin-modelmon", ".out");
    final Path stderr = Files.createTempFile("bin-modelmon", ".err");
    final ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    builder.environment().put("MODELMON_JAR", JAR.toString());
    final Process process = builder.start();
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("bin/modelmon finished").isTrue();
      return new Result(
          process.exitValue(), Files.readString(stdout, UTF_8), Files.readString(stderr, UTF_8));
    } finally {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
    }
  }
}
