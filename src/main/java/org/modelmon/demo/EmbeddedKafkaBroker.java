package org.modelmon.demo;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.modelmon.demo.BrokerStartException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker in KRaft mode (one process acting as broker and
 * controller), run in a child JVM, for the demo and the integration tests.
 *
 * <p>The child runs {@code kafka.Kafka} from the current JVM's own classpath with the current JVM's
 * {@code java} binary, so it works from the Maven test classpath and from the shaded jar alike.
 * Running it in a separate process rather than in-process keeps the broker's threads, heap and
 * logging away from the application under test, and makes {@link #stop()} and {@link #restart()}
 * real process restarts.
 *
 * <p>Everything the broker writes lives under {@link #dataDir()}: {@code server.properties}, the
 * Kafka log directory {@code logs/}, the broker's log file {@code broker.log} and the child's
 * standard output and error in {@code broker.out}; {@link Builder#logFile(Path)} sends the last two
 * to a file of the caller's instead. Nothing is written to this JVM's console.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
 *   Properties props = new Properties();
 *   props.put("bootstrap.servers", broker.bootstrapServers());
 *   ...
 * }
 * }</pre>
 *
 * <p>By default clients connect in plain text without credentials. With {@link
 * Builder#saslPlainUsers(Map)} the client listener asks for SASL/PLAIN over plain text instead
 * ({@code SASL_PLAINTEXT}), for tests of how clients pass credentials; {@link #clientProperties()}
 * then holds the settings of an administrator the broker adds itself. The KRaft controller
 * listener stays plain text either way: only this broker talks to it.
 *
 * <p>The child JVM is stopped on {@link #close()}, by a shutdown hook if this JVM exits without
 * calling it, and by the child itself if this JVM dies without running shutdown hooks (see {@link
 * ParentWatchingMain}).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  /** How long {@link #start()} waits by default for the broker to answer. */
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(60);

  /** How long {@link #stop()} waits for a graceful shutdown before killing the child. */
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  /** The broker's own log, in {@link #dataDir()}. */
  public static final String BROKER_LOG_FILE = "broker.log";

  /** The child JVM's standard output and error, in {@link #dataDir()}. */
  public static final String BROKER_OUT_FILE = "broker.out";

  /**
   * The user the broker adds to the SASL/PLAIN users for itself (inter-broker traffic) and for
   * {@link #clientProperties()}.
   */
  public static final String SASL_ADMIN_USER = "embedded-admin";

  static final String SERVER_PROPERTIES_FILE = "server.properties";
  static final String KAFKA_LOG_DIR = "logs";
  static final String FORMAT_OUT_FILE = "storage-format.out";
  static final String LOG4J2_LOG_FILE = "broker-log4j2.log";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private static final String HOST = "127.0.0.1";
  private static final String PLAINTEXT_LISTENER = "PLAINTEXT";
  private static final String SASL_LISTENER = "SASL_PLAINTEXT";
  private static final String SASL_MECHANISM = "PLAIN";
  private static final String PLAIN_LOGIN_MODULE =
      "org.apache.kafka.common.security.plain.PlainLoginModule";

  // What fits unescaped into a JAAS option name (user_<name>) and a quoted JAAS option value.
  private static final Pattern SASL_USER_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern SASL_PASSWORD = Pattern.compile("[\\x20-\\x7e&&[^\"\\\\]]{1,128}");

  private static final int NODE_ID = 1;
  private static final int LOG_TAIL_LINES = 40;
  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
  private static final Duration SHUTDOWN_HOOK_GRACE = Duration.ofSeconds(10);
  private static final String LOGBACK_CONFIG = "org/modelmon/demo/broker-logback.xml";
  private static final String LOG4J2_CONFIG = "org/modelmon/demo/broker-log4j2.properties";
  private static final List<String> CHILD_JVM_OPTIONS =
      List.of(
          // Modest and predictable on a 2-core box that also runs the application and Maven.
          "-Xms64m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true");

  /** Settings this class derives itself; overriding them would break the launch or the wait. */
  private static final Set<String> MANAGED_PROPERTIES =
      Set.of(
          "process.roles",
          "node.id",
          "listeners",
          "advertised.listeners",
          "controller.listener.names",
          "controller.quorum.voters",
          "controller.quorum.bootstrap.servers",
          "inter.broker.listener.name",
          "listener.security.protocol.map",
          "log.dir",
          "log.dirs");

  /** What {@link Builder#saslPlainUsers(Map)} derives, on top of {@link #MANAGED_PROPERTIES}. */
  private static final Set<String> MANAGED_SASL_PROPERTIES =
      Set.of(
          "sasl.enabled.mechanisms",
          "sasl.mechanism.inter.broker.protocol",
          "listener.name." + SASL_LISTENER.toLowerCase(Locale.ROOT) + ".sasl.enabled.mechanisms",
          "listener.name."
              + SASL_LISTENER.toLowerCase(Locale.ROOT)
              + "."
              + SASL_MECHANISM.toLowerCase(Locale.ROOT)
              + ".sasl.jaas.config");

  private final Path dataDir;
  private final boolean ownsDataDir;
  private final int brokerPort;
  private final int controllerPort;
  private final Map<String, String> extraProperties;
  private final Map<String, String> saslUsers;
  private final String saslAdminPassword;
  private final Duration startupTimeout;
  private final Path logFile; // null: broker.log and broker.out in the data directory
  private final Thread shutdownHook;

  // Written under the monitor; volatile so that the shutdown hook can read them without it, since
  // the thread holding the monitor may be the one blocked in System.exit.
  private volatile Process broker;
  private volatile Process formatter;
  private boolean closed;

  private EmbeddedKafkaBroker(
      final Path dataDir,
      final boolean ownsDataDir,
      final int brokerPort,
      final int controllerPort,
      final Map<String, String> extraProperties,
      final Map<String, String> saslUsers,
      final Duration startupTimeout,
      final Path logFile) {
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.extraProperties = extraProperties;
    this.saslUsers = saslUsers;
    // Random per instance, so that no test can come to depend on it; kept across restarts.
    this.saslAdminPassword = saslUsers.isEmpty() ? "" : Uuid.randomUuid().toString();
    this.startupTimeout = startupTimeout;
    this.logFile = logFile;
    this.shutdownHook = new Thread(this::killOnJvmExit, "embedded-kafka-broker-shutdown");
  }

  /** Starts a broker with default options: a fresh temporary data directory and free ports. */
  public static EmbeddedKafkaBroker start() {
    return builder().start();
  }

  /** Options for a broker; {@link Builder#start()} launches it. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address clients connect to, {@code 127.0.0.1:<broker port>}. */
  public String bootstrapServers() {
    return HOST + ":" + brokerPort;
  }

  /** The directory holding the broker's configuration, data and logs. */
  public Path dataDir() {
    return dataDir;
  }

  /** The port of the listener clients use (PLAINTEXT, or SASL_PLAINTEXT with SASL users). */
  public int brokerPort() {
    return brokerPort;
  }

  /**
   * What a client needs to connect as an administrator: {@code bootstrap.servers}, and with SASL
   * users also {@code security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config} of
   * {@link #SASL_ADMIN_USER}. Without SASL users, only {@code bootstrap.servers}.
   */
  public Map<String, String> clientProperties() {
    final Map<String, String> props = new LinkedHashMap<>();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    if (!saslUsers.isEmpty()) {
      props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, SASL_LISTENER);
      props.put(SaslConfigs.SASL_MECHANISM, SASL_MECHANISM);
      props.put(SaslConfigs.SASL_JAAS_CONFIG, plainJaasConfig(SASL_ADMIN_USER, saslAdminPassword));
    }
    return Collections.unmodifiableMap(props);
  }

  /**
   * A client's {@code sasl.jaas.config} for SASL/PLAIN as {@code user} with {@code password}: what
   * an operator writes into {@code kafka.sasl.jaas.config}. Neither may contain a double quote or
   * a backslash, which would need escaping.
   */
  public static String plainJaasConfig(final String user, final String password) {
    return plainLogin(checkSaslUser(user), checkSaslPassword(user, password)) + ";";
  }

  /** The login module entry of {@code user}, without the closing {@code ;}. */
  private static String plainLogin(final String user, final String password) {
    return PLAIN_LOGIN_MODULE + " required username=\"" + user + "\" password=\"" + password + '"';
  }

  /** The port of the KRaft controller listener. */
  public int controllerPort() {
    return controllerPort;
  }

  /**
   * The broker's own log file: {@link Builder#logFile(Path)}, or {@code broker.log} in the data
   * directory; worth a look when a test against the broker misbehaves.
   */
  public Path logFile() {
    return logFile != null ? logFile : dataDir.resolve(BROKER_LOG_FILE);
  }

  /** Where the child JVM's standard output and error go. */
  private Path outFile() {
    return logFile != null ? logFile : dataDir.resolve(BROKER_OUT_FILE);
  }

  /** Whether the child JVM is running. */
  public boolean isRunning() {
    final Process process = broker;
    return process != null && process.isAlive();
  }

  /** The process id of the child JVM, or empty when it is stopped. */
  public OptionalLong pid() {
    final Process process = broker;
    return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
  }

  /**
   * Stops the broker gracefully: SIGTERM, then up to {@link #STOP_TIMEOUT} for Kafka's controlled
   * shutdown, then a forced kill. Keeps the data directory; {@link #restart()} brings the broker
   * back. Does nothing when the broker is already stopped.
   */
  public synchronized void stop() {
    final Process process = broker;
    if (process == null) {
      return;
    }
    final long startNanos = System.nanoTime();
    LOG.info("Stopping Kafka broker: pid={} bootstrap={}", process.pid(), bootstrapServers());
    final int status = terminate(process, STOP_TIMEOUT);
    broker = null;
    LOG.info(
        "Kafka broker stopped: pid={} exitStatus={} stopMs={}",
        process.pid(),
        status,
        elapsedMillis(startNanos));
  }

  /**
   * Stops the broker if it is running and starts it again on the same ports and data directory,
   * waiting until it answers as {@link #start()} does.
   *
   * @throws BrokerStartException if the broker does not come back
   * @throws IllegalStateException if the broker has been closed
   */
  public synchronized void restart() {
    if (closed) {
      throw new IllegalStateException("broker " + bootstrapServers() + " is closed");
    }
    stop();
    launch();
  }

  /**
   * Stops the broker and, if the data directory was a temporary one created by {@link #start()},
   * deletes it. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stop();
    } finally {
      removeShutdownHook();
      if (ownsDataDir) {
        deleteRecursively(dataDir);
      }
    }
  }

  @Override
  public String toString() {
    return "EmbeddedKafkaBroker{bootstrap=" + bootstrapServers() + ", dataDir=" + dataDir + "}";
  }

  private static EmbeddedKafkaBroker start(final Builder options) {
    final Path dataDir;
    final boolean ownsDataDir = options.dataDir == null;
    try {
      dataDir =
          ownsDataDir
              ? Files.createTempDirectory("modelmon-kafka-")
              : Files.createDirectories(options.dataDir.toAbsolutePath());
    } catch (final IOException e) {
      throw new BrokerStartException(Reason.IO_ERROR, "cannot create the data directory", e);
    }
    final int[] ports;
    try {
      ports = reservePorts(options.brokerPort, options.controllerPort);
    } catch (final RuntimeException e) {
      if (ownsDataDir) {
        deleteRecursively(dataDir);
      }
      throw e;
    }
    final EmbeddedKafkaBroker instance =
        new EmbeddedKafkaBroker(
            dataDir,
            ownsDataDir,
            ports[0],
            ports[1],
            Map.copyOf(options.brokerProperties),
            Map.copyOf(options.saslPlainUsers),
            options.startupTimeout,
            options.logFile);
    Runtime.getRuntime().addShutdownHook(instance.shutdownHook);
    try {
      synchronized (instance) {
        instance.launch();
      }
    } catch (final RuntimeException e) {
      instance.close();
      throw e;
    }
    return instance;
  }

  /** Formats storage if needed, starts the child JVM and waits until the broker answers. */
  private void launch() {
    final long startNanos = System.nanoTime();
    final long deadlineNanos = startNanos + startupTimeout.toNanos();
    reservePorts(brokerPort, controllerPort);
    final Path serverProperties = writeServerProperties();
    if (Files.exists(dataDir.resolve(KAFKA_LOG_DIR).resolve("meta.properties"))) {
      LOG.debug("Kafka storage already formatted: dataDir={}", dataDir);
    } else {
      format(serverProperties, deadlineNanos);
    }

    final List<String> command =
        javaCommand(
            List.of("-Xmx512m"),
            ParentWatchingMain.class.getName(),
            "kafka.Kafka",
            serverProperties.toString());
    final Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(dataDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile().toFile()))
              .start();
    } catch (final IOException e) {
      throw new BrokerStartException(Reason.IO_ERROR, "cannot launch the broker JVM", e);
    }
    broker = process;
    LOG.debug("Kafka broker JVM launched: pid={} dataDir={}", process.pid(), dataDir);
    try {
      awaitReady(process, deadlineNanos);
    } catch (final RuntimeException e) {
      terminate(process, Duration.ZERO);
      broker = null;
      throw e;
    }
    LOG.info(
        "Kafka broker started: bootstrap={} pid={} dataDir={} startupMs={}",
        bootstrapServers(),
        process.pid(),
        dataDir,
        elapsedMillis(startNanos));
  }

  private Path writeServerProperties() {
    final Map<String, String> props = new LinkedHashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(NODE_ID));
    props.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
    // One listener serves clients and the broker's own inter-broker traffic (transaction markers,
    // for one), so with SASL the broker authenticates to itself as the admin user.
    final String client = saslUsers.isEmpty() ? PLAINTEXT_LISTENER : SASL_LISTENER;
    props.put(
        "listeners",
        client + "://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
    props.put("advertised.listeners", client + "://" + bootstrapServers());
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", client);
    props.put("listener.security.protocol.map", client + ":" + client + ",CONTROLLER:PLAINTEXT");
    if (!saslUsers.isEmpty()) {
      props.put("sasl.enabled.mechanisms", SASL_MECHANISM);
      props.put("sasl.mechanism.inter.broker.protocol", SASL_MECHANISM);
      props.put(
          "listener.name."
              + SASL_LISTENER.toLowerCase(Locale.ROOT)
              + "."
              + SASL_MECHANISM.toLowerCase(Locale.ROOT)
              + ".sasl.jaas.config",
          brokerJaasConfig());
    }
    props.put("log.dirs", dataDir.resolve(KAFKA_LOG_DIR).toString());
    // A single node can hold one replica only; the defaults of 3 would leave the internal topics
    // of consumer groups, transactions and share groups uncreatable.
    props.put("offsets.topic.replication.factor", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    // Tests and the demo start one consumer at a time; waiting for more would only slow them.
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("num.partitions", "1");
    // Topics are created explicitly, so that a typo fails instead of making a new topic.
    props.put("auto.create.topics.enable", "false");
    props.putAll(extraProperties);

    final StringBuilder text =
        new StringBuilder("# Written by ").append(EmbeddedKafkaBroker.class.getName()).append('\n');
    props.forEach((key, value) -> text.append(key).append('=').append(escape(value)).append('\n'));
    final Path file = dataDir.resolve(SERVER_PROPERTIES_FILE);
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (final IOException e) {
      throw new BrokerStartException(Reason.IO_ERROR, "cannot write " + file, e);
    }
    return file;
  }

  /**
   * The broker's side of SASL/PLAIN: its own credentials for inter-broker connections, and a
   * {@code user_<name>="<password>"} entry for every user it accepts, the admin among them.
   */
  private String brokerJaasConfig() {
    final Map<String, String> users = new LinkedHashMap<>();
    users.put(SASL_ADMIN_USER, saslAdminPassword);
    users.putAll(saslUsers);
    final StringBuilder jaas = new StringBuilder(plainLogin(SASL_ADMIN_USER, saslAdminPassword));
    users.forEach(
        (user, password) ->
            jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
    return jaas.append(';').toString();
  }

  /** Runs Kafka's storage tool to write meta.properties and the single-voter quorum. */
  private void format(final Path serverProperties, final long deadlineNanos) {
    final long startNanos = System.nanoTime();
    final Path output = dataDir.resolve(FORMAT_OUT_FILE);
    final List<String> command =
        javaCommand(
            // The tool runs for a second or two: C2 would compete for the two cores without ever
            // paying off.
            List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            Uuid.randomUuid().toString(),
            "--config",
            serverProperties.toString(),
            "--standalone");
    final Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(dataDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      process.getOutputStream().close();
    } catch (final IOException e) {
      throw new BrokerStartException(Reason.IO_ERROR, "cannot launch the storage format tool", e);
    }
    formatter = process;
    try {
      if (!process.waitFor(remainingNanos(deadlineNanos), TimeUnit.NANOSECONDS)) {
        terminate(process, Duration.ZERO);
        throw new BrokerStartException(
            Reason.FORMAT_FAILED,
            "the storage format tool did not finish within "
                + startupTimeout
                + where()
                + tail(output));
      }
      if (process.exitValue() != 0) {
        throw new BrokerStartException(
            Reason.FORMAT_FAILED,
            "the storage format tool exited with status "
                + process.exitValue()
                + where()
                + tail(output));
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      terminate(process, Duration.ZERO);
      throw new BrokerStartException(Reason.FORMAT_FAILED, "interrupted while formatting", e);
    } finally {
      formatter = null;
    }
    LOG.debug(
        "Kafka storage formatted: dataDir={} formatMs={}", dataDir, elapsedMillis(startNanos));
  }

  /**
   * Waits until the broker answers a metadata request. A TCP connect is tried first because an
   * Admin client logs a warning for every refused connection while the JVM is still booting.
   */
  private void awaitReady(final Process process, final long deadlineNanos) {
    try {
      while (!canConnect(brokerPort)) {
        checkStillStarting(process, deadlineNanos, null);
        Thread.sleep(POLL_INTERVAL.toMillis());
      }
      final Properties props = new Properties();
      props.putAll(clientProperties());
      props.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-broker-readiness");
      props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
      props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
      try (Admin admin = Admin.create(props)) {
        Exception lastFailure = null;
        while (true) {
          checkStillStarting(process, deadlineNanos, lastFailure);
          try {
            final int timeoutMs =
                (int) Math.max(1, Math.min(5_000, remainingNanos(deadlineNanos) / 1_000_000));
            admin
                .describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
                .nodes()
                .get(timeoutMs + 1_000L, TimeUnit.MILLISECONDS);
            return;
          } catch (final ExecutionException | TimeoutException e) {
            lastFailure = e;
            LOG.debug("Kafka broker not ready yet: bootstrap={} cause={}", bootstrapServers(), e);
          }
          Thread.sleep(POLL_INTERVAL.toMillis());
        }
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrokerStartException(Reason.TIMEOUT, "interrupted while waiting for the broker", e);
    }
  }

  private void checkStillStarting(
      final Process process, final long deadlineNanos, final Exception lastFailure) {
    if (!process.isAlive()) {
      throw new BrokerStartException(
          Reason.PROCESS_EXITED,
          "the broker JVM (pid "
              + process.pid()
              + ") exited with status "
              + process.exitValue()
              + " before "
              + bootstrapServers()
              + " answered"
              + logTails(),
          lastFailure);
    }
    if (remainingNanos(deadlineNanos) <= 0) {
      // Stop it first so that the log tail shows everything it had to say.
      terminate(process, Duration.ZERO);
      throw new BrokerStartException(
          Reason.TIMEOUT,
          "the broker on "
              + bootstrapServers()
              + " did not answer within "
              + startupTimeout
              + logTails(),
          lastFailure);
    }
  }

  private List<String> javaCommand(final List<String> jvmOptions, final String... mainAndArgs) {
    final List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.addAll(jvmOptions);
    command.addAll(CHILD_JVM_OPTIONS);
    command.add("-Dlogback.configurationFile=" + LOGBACK_CONFIG);
    command.add("-Dmodelmon.broker.logFile=" + logFile());
    // A file of the caller's may have another writer (the demo's own log): logback's prudent mode
    // locks the file for each event, so that the two processes' lines never interleave.
    command.add("-Dmodelmon.broker.logPrudent=" + (logFile != null));
    command.add("-Dlog4j2.configurationFile=classpath:" + LOG4J2_CONFIG);
    command.add("-Dmodelmon.broker.log4j2File=" + dataDir.resolve(LOG4J2_LOG_FILE));
    command.add("-cp");
    command.add(absoluteClassPath());
    command.addAll(Arrays.asList(mainAndArgs));
    return command;
  }

  /**
   * This JVM's classpath with every entry made absolute, since the child runs in the data directory
   * and relative entries (as an IDE or {@code java -cp target/classes} gives) would resolve there.
   */
  private static String absoluteClassPath() {
    final List<String> entries = new ArrayList<>();
    for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(Path.of(entry).toAbsolutePath().toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private static String javaBinary() {
    final boolean windows =
        System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    final Path javaHomeBinary =
        Path.of(System.getProperty("java.home"), "bin", windows ? "java.exe" : "java");
    if (Files.isExecutable(javaHomeBinary)) {
      return javaHomeBinary.toString();
    }
    return ProcessHandle.current().info().command().orElse("java");
  }

  /**
   * Returns the broker and controller ports, picking free ones for those given as 0. Ports asked
   * for explicitly are checked by binding them, so a clash is reported here, clearly, rather than
   * as a bind error buried in the broker's log.
   */
  private static int[] reservePorts(final int brokerPort, final int controllerPort) {
    try (ServerSocket brokerSocket = bind(brokerPort, "broker");
        ServerSocket controllerSocket = bind(controllerPort, "controller")) {
      return new int[] {brokerSocket.getLocalPort(), controllerSocket.getLocalPort()};
    } catch (final IOException e) {
      throw new BrokerStartException(Reason.IO_ERROR, "cannot reserve ports on " + HOST, e);
    }
  }

  private static ServerSocket bind(final int port, final String role) throws IOException {
    final ServerSocket socket = new ServerSocket();
    try {
      // As Kafka's own acceptor does, so that TIME_WAIT connections left by a stopped broker do
      // not count as "in use" on restart.
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
      return socket;
    } catch (final BindException e) {
      socket.close();
      throw new BrokerStartException(
          Reason.PORT_IN_USE, role + " port " + port + " on " + HOST + " is already in use", e);
    } catch (final IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private static boolean canConnect(final int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), 1_000);
      return true;
    } catch (final IOException e) {
      return false;
    }
  }

  /**
   * Asks the process to stop, waits up to {@code grace}, then kills it; returns its exit status.
   */
  private static int terminate(final Process process, final Duration grace) {
    try {
      if (grace.isZero()) {
        process.destroyForcibly();
      } else {
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn(
              "Kafka broker JVM did not stop within {}; killing it: pid={}", grace, process.pid());
          process.destroyForcibly();
        }
      }
      return process.waitFor();
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return -1;
    } finally {
      closeStdin(process);
    }
  }

  private static void closeStdin(final Process process) {
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.flush();
    } catch (final IOException e) {
      // The child is gone, so the pipe is broken; closing it was all that was wanted.
      LOG.trace("Closing the stdin of pid {} failed", process.pid(), e);
    }
  }

  private void killOnJvmExit() {
    final Process format = formatter;
    if (format != null) {
      format.destroyForcibly();
    }
    final Process process = broker;
    if (process != null && process.isAlive()) {
      terminate(process, SHUTDOWN_HOOK_GRACE);
    }
    if (ownsDataDir) {
      deleteRecursively(dataDir);
    }
  }

  private void removeShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (final IllegalStateException e) {
      // The JVM is already shutting down and the hook is running or has run; nothing to undo.
      LOG.debug("Shutdown in progress; leaving the broker shutdown hook in place");
    }
  }

  private static void deleteRecursively(final Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.deleteIfExists(path);
                } catch (final IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      LOG.debug("Deleted the broker data directory: dataDir={}", dir);
    } catch (final IOException | UncheckedIOException e) {
      LOG.warn("Could not delete the broker data directory: dataDir={}", dir, e);
    }
  }

  private String logTails() {
    return where() + tail(logFile()) + (logFile == null ? tail(outFile()) : "");
  }

  private String where() {
    return " (dataDir " + dataDir + (ownsDataDir ? ", temporary: deleted on failure)" : ")");
  }

  /** The last lines of a log file, formatted to append to an exception message. */
  static String tail(final Path file) {
    if (!Files.isRegularFile(file)) {
      return "";
    }
    final List<String> lines = new ArrayList<>();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      // The broker log can grow large; the last 64 KiB hold far more than 40 lines of it.
      final long start = Math.max(0, raf.length() - 64 * 1024);
      final byte[] bytes = new byte[(int) (raf.length() - start)];
      raf.seek(start);
      raf.readFully(bytes);
      lines.addAll(Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\r?\n")));
    } catch (final IOException e) {
      return "\n(could not read " + file.getFileName() + ": " + e + ")";
    }
    if (lines.isEmpty() || (lines.size() == 1 && lines.get(0).isEmpty())) {
      return "";
    }
    final List<String> last =
        lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
    return "\n--- last "
        + last.size()
        + " lines of "
        + file.getFileName()
        + " ---\n"
        + String.join("\n", last);
  }

  private static String escape(final String value) {
    return value.replace("\\", "\\\\");
  }

  private static String checkSaslUser(final String user) {
    Objects.requireNonNull(user, "user");
    if (!SASL_USER_NAME.matcher(user).matches()) {
      throw new IllegalArgumentException(
          "SASL user name \"" + user + "\" is not 1-64 characters of A-Z a-z 0-9 _ -");
    }
    return user;
  }

  // The message names the user, never the password.
  private static String checkSaslPassword(final String user, final String password) {
    Objects.requireNonNull(password, "password of " + user);
    if (!SASL_PASSWORD.matcher(password).matches()) {
      throw new IllegalArgumentException(
          "the SASL password of "
              + user
              + " is not 1-128 printable ASCII characters without \" and \\");
    }
    return password;
  }

  private static long remainingNanos(final long deadlineNanos) {
    return deadlineNanos - System.nanoTime();
  }

  private static long elapsedMillis(final long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /** Options of an {@link EmbeddedKafkaBroker}; all optional. */
  public static final class Builder {
    private Path dataDir;
    private int brokerPort;
    private int controllerPort;
    private final Map<String, String> brokerProperties = new LinkedHashMap<>();
    private final Map<String, String> saslPlainUsers = new LinkedHashMap<>();
    private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
    private Path logFile;

    private Builder() {}

    /**
     * Appends the broker's log and its JVM's standard output and error to {@code file} instead of
     * {@code broker.log} and {@code broker.out} in the data directory, so that they outlive a
     * temporary data directory or join another log. The broker writes it with logback's prudent
     * mode; another process may append to the same file with a prudent logback appender.
     */
    public Builder logFile(final Path file) {
      this.logFile = Objects.requireNonNull(file, "file").toAbsolutePath();
      return this;
    }

    /**
     * Keeps the broker's files in {@code dir}, which is created if missing and kept on close. An
     * already formatted directory is reused as it is, so topics and records survive across runs.
     * Without this, a fresh temporary directory is used and deleted on close.
     */
    public Builder dataDir(final Path dir) {
      this.dataDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** The port of the client listener; 0 (the default) picks a free port. */
    public Builder brokerPort(final int port) {
      this.brokerPort = checkPort(port);
      return this;
    }

    /** The port of the KRaft controller listener; 0 (the default) picks a free port. */
    public Builder controllerPort(final int port) {
      this.controllerPort = checkPort(port);
      return this;
    }

    /**
     * Adds a broker setting to server.properties, overriding this class's default for it. The
     * listener, node and log directory settings are derived from the other options and cannot be
     * set here.
     */
    public Builder brokerProperty(final String key, final String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (MANAGED_PROPERTIES.contains(key)) {
        throw new IllegalArgumentException(
            key + " is set by EmbeddedKafkaBroker itself; use the builder's options instead");
      }
      brokerProperties.put(key, value);
      return this;
    }

    /** Adds every entry of {@code properties} as {@link #brokerProperty(String, String)} does. */
    public Builder brokerProperties(final Map<String, String> properties) {
      properties.forEach(this::brokerProperty);
      return this;
    }

    /**
     * Makes the client listener {@code SASL_PLAINTEXT} with mechanism {@code PLAIN}, accepting
     * exactly these users and {@link EmbeddedKafkaBroker#SASL_ADMIN_USER}, which the broker uses
     * itself and {@link EmbeddedKafkaBroker#clientProperties()} hands out. Clients then need {@code
     * security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN} and a {@code
     * sasl.jaas.config} such as {@link EmbeddedKafkaBroker#plainJaasConfig(String, String)} gives.
     * Without this option, or with an empty map, the listener is PLAINTEXT.
     *
     * <p>Every authenticated user may do anything: no authorizer is configured.
     *
     * @param userToPassword user names (1-64 characters of {@code A-Z a-z 0-9 _ -}) and their
     *     passwords (1-128 printable ASCII characters, no {@code "} or {@code \})
     * @throws IllegalArgumentException for a name or password that does not fit, or for {@link
     *     EmbeddedKafkaBroker#SASL_ADMIN_USER}
     */
    public Builder saslPlainUsers(final Map<String, String> userToPassword) {
      Objects.requireNonNull(userToPassword, "userToPassword");
      userToPassword.forEach(
          (user, password) -> {
            checkSaslPassword(checkSaslUser(user), password);
            if (user.equals(SASL_ADMIN_USER)) {
              throw new IllegalArgumentException(
                  SASL_ADMIN_USER + " is the broker's own SASL user; pick another name");
            }
          });
      saslPlainUsers.clear();
      saslPlainUsers.putAll(userToPassword);
      return this;
    }

    /**
     * How long to wait for storage formatting and for the broker to answer, on start and on each
     * restart; {@link #DEFAULT_STARTUP_TIMEOUT} by default.
     */
    public Builder startupTimeout(final Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
      }
      this.startupTimeout = timeout;
      return this;
    }

    /**
     * Launches the broker and waits until it answers.
     *
     * @throws BrokerStartException if a requested port is in use, or the broker exits or does not
     *     answer in time; the message ends with the tail of the broker's log
     */
    public EmbeddedKafkaBroker start() {
      if (brokerPort != 0 && brokerPort == controllerPort) {
        throw new IllegalArgumentException(
            "broker and controller ports must differ: both are " + brokerPort);
      }
      if (!saslPlainUsers.isEmpty()) {
        for (final String key : brokerProperties.keySet()) {
          if (MANAGED_SASL_PROPERTIES.contains(key)) {
            throw new IllegalArgumentException(
                key + " is set by EmbeddedKafkaBroker itself when it has SASL users");
          }
        }
      }
      return EmbeddedKafkaBroker.start(this);
    }

    private static int checkPort(final int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      return port;
    }
  }
}
