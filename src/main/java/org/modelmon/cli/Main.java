package org.modelmon.cli;

import java.time.Duration;
import java.util.Map;
import org.modelmon.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
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
    return commandLine(environment, ReferencePublishCommand.DEFAULT_TIMEOUT);
  }

  /** As {@link #commandLine(Map)}, with how long {@code reference publish} waits for Kafka. */
  static CommandLine commandLine(
      final Map<String, String> environment, final Duration publishTimeout) {
    final CommandLine commandLine =
        new CommandLine(new ModelmonCommand())
            .addSubcommand(new RunCommand(environment))
            .addSubcommand(new DemoCommand())
            .addSubcommand(
                new CommandLine(new ReferenceCommand())
                    .addSubcommand(new ReferencePublishCommand(environment, publishTimeout)))
            .setExecutionExceptionHandler(Main::handleExecutionException);
    final IParameterExceptionHandler standard = commandLine.getParameterExceptionHandler();
    return commandLine.setParameterExceptionHandler(
        (e, args) -> handleParameterException(e, args, standard));
  }

  /** The version in the jar's manifest ({@code Implementation-Version}), or {@code "dev"}. */
  public static String version() {
    final String version = Main.class.getPackage().getImplementationVersion();
    return version == null || version.isBlank() ? "dev" : version;
  }

  // A bad configuration or input is the user's to fix, like a bad option: one line, no stack trace.
  private static int handleExecutionException(
      final Exception e, final CommandLine commandLine, final ParseResult parseResult)
      throws Exception {
    if (e instanceof ConfigException || e instanceof InvalidInputException) {
      commandLine.getErr().println("modelmon: " + e.getMessage());
      commandLine.getErr().flush();
      return EXIT_CONFIG_ERROR;
    }
    throw e;
  }

  // reference publish is run from scripts and CI jobs, whose logs should show one line saying what
  // was wrong, not that line lost above a page of usage; its --help has the usage.
  private static int handleParameterException(
      final ParameterException e, final String[] args, final IParameterExceptionHandler standard)
      throws Exception {
    final CommandLine commandLine = e.getCommandLine();
    if (!(commandLine.getCommand() instanceof ReferencePublishCommand)) {
      return standard.handleParseException(e, args);
    }
    final String message = e.getMessage().replaceFirst("^Error: ", "").replaceAll("\\R", " ");
    commandLine
        .getErr()
        .println(
            "modelmon: "
                + message
                + " (see: "
                + commandLine.getCommandSpec().qualifiedName(" ")
                + " --help)");
    commandLine.getErr().flush();
    return commandLine.getCommandSpec().exitCodeOnInvalidInput();
  }
}
