package org.modelmon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as {@code package} leaves it: RocksDB's natives for exactly the platforms users
 * run modelmon on, and the one for this machine loads from it. An IT because the jar exists only
 * after {@code package}, which Failsafe runs after.
 */
class ShadedJarIT {

  private static final Path JAR = Path.of("target", "modelmon.jar");

  /** Linux x86-64 and aarch64 (glibc and musl), macOS Intel and Apple silicon, Windows x64. */
  private static final Set<String> KEPT =
      Set.of(
          "librocksdbjni-linux64.so",
          "librocksdbjni-linux64-musl.so",
          "librocksdbjni-linux-aarch64.so",
          "librocksdbjni-linux-aarch64-musl.so",
          "librocksdbjni-osx-x86_64.jnilib",
          "librocksdbjni-osx-arm64.jnilib",
          "librocksdbjni-win64.dll");

  @Test
  void shouldShipRocksDbNativesOnlyForSupportedPlatforms() throws IOException {
    assertThat(JAR).as("run `mvn package` first").isRegularFile();
    final Set<String> natives = new TreeSet<>();
    try (JarFile jar = new JarFile(JAR.toFile())) {
      jar.stream()
          .map(ZipEntry::getName)
          .filter(name -> name.contains("rocksdbjni") && !name.endsWith(".class"))
          .filter(name -> !name.endsWith("/"))
          .forEach(natives::add);
    }
    // Exactly the kept set: a dropped platform (linux32, ppc64le, s390x, riscv64, their musl
    // builds) that comes back fails here, and so does a kept one that goes missing.
    assertThat(natives).containsExactlyInAnyOrderElementsOf(KEPT);
  }

  @Test
  void shouldLeaveBenchmarkOnlyLibrariesOut() throws IOException {
    assertThat(JAR).as("run `mvn package` first").isRegularFile();
    // JMH and MOA (the detector benchmark's peers, from the detector-bench profile) serve
    // bin/bench only: none of their classes may reach the runnable jar.
    final List<String> prefixes = List.of("moa/", "com/github/javacliparser/", "org/openjdk/jmh/");
    final List<String> leaked;
    try (JarFile jar = new JarFile(JAR.toFile())) {
      leaked =
          jar.stream()
              .map(ZipEntry::getName)
              .filter(name -> prefixes.stream().anyMatch(name::startsWith))
              .limit(5)
              .toList();
    }
    assertThat(leaked).isEmpty();
  }

  @Test
  void shouldLoadRocksDbFromTheJarOnThisMachine(@TempDir final Path dir) throws Exception {
    assertThat(JAR).as("run `mvn package` first").isRegularFile();
    // A RocksDB opened by a class compiled here, with only the jar on the classpath besides it:
    // the native library comes out of the jar, as it does for `java -jar modelmon.jar`.
    final Path source = dir.resolve("OpenRocksDb.java");
    Files.writeString(
        source,
        """
        public class OpenRocksDb {
          public static void main(String[] args) throws Exception {
            org.rocksdb.RocksDB.loadLibrary();
            try (var options = new org.rocksdb.Options().setCreateIfMissing(true);
                var db = org.rocksdb.RocksDB.open(options, args[0])) {
              db.put("k".getBytes(), "v".getBytes());
              System.out.println("read " + new String(db.get("k".getBytes())));
            }
          }
        }
        """,
        StandardCharsets.UTF_8);
    final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    final Path output = dir.resolve("out.txt");
    // The source-file launcher compiles and runs the class against the jar in one step.
    final Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-Djava.io.tmpdir=" + dir,
                    "-cp",
                    JAR.toAbsolutePath().toString(),
                    source.toString(),
                    dir.resolve("db").toString()))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    try {
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("finished in 120 s").isTrue();
    } finally {
      process.destroyForcibly();
    }
    final String text = Files.readString(output);
    assertThat(process.exitValue()).as(text).isZero();
    assertThat(text).contains("read v");
  }
}
