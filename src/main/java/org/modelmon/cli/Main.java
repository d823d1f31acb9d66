package org.modelmon.cli;

import java.util.Map;
import org.modelmon.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** The entry point of the runnable jar: {@code java -jar modelmon.jar <command>}. */
public final class Main {

  /** The exit status of a bad configuration; picocli's own for a bad command line. */
  public static final int EXIT_CONFIG_ERROR = CommandLine.ExitCode.USAGE;

  private Main() {}

  /** Runs the command in {@code args} and exits with its status. */
  public static void main(final String[] args) {
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /**
   * The {@code modelmon} command line, ready to {@link CommandLine#execute execute}.
   *
   * <p>{@link #main} only adds {@link System#exit}, so tests run the very same command line and
   * capture its output with {@link CommandLine#setOut} and {@link CommandLine#setErr} (call them on
   * the returned object: they apply to the subcommands too).
   *
   * @param environment the environment variables, the configuration layer between the {@code
   *     --config} file and {@code -D} flags
   */
  public static CommandLine commandLine(final Map<String, String> environment) {
    return new CommandLine(new ModelmonCommand())
        .addSubcommand(new RunCommand(environment))
        .addSubcommand(new DemoCommand())
        .setExecutionExceptionHandler(Main::handleExecutionException);
  }

  /** The version in the jar's manifest ({@code Implementation-Version}), or {@code "dev"}. */
  public static String version() {
    final String version = Main.class.getPackage().getImplementationVersion();
    return version == null || version.isBlank() ? "dev" : version;
  }

  // A bad configuration is the user's to fix, like a bad option: one line, no stack trace.
  private static int handleExecutionException(
      final Exception e, final CommandLine commandLine, final ParseResult parseResult)
      throws Exception {
    if (e instanceof ConfigException) {
      commandLine.getErr().println("modelmon: " + e.getMessage());
      commandLine.getErr().flush();
      return EXIT_CONFIG_ERROR;
    }
    throw e;
  }
}
