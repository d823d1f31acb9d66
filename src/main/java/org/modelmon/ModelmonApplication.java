package org.modelmon;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.HostInfo;
import org.modelmon.admission.AdmissionLog;
import org.modelmon.config.ConfigException;
import org.modelmon.config.Durations;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.config.WindowSpec;
import org.modelmon.http.ApplicationQueries;
import org.modelmon.http.HttpApi;
import org.modelmon.http.StateQueries;
import org.modelmon.metrics.ModelmonMetrics;
import org.modelmon.metrics.WatermarkGauge;
import org.modelmon.metrics.WindowMetricsCollector;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.state.BoundedMemoryRocksDBConfig;
import org.modelmon.topology.ModelmonTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running modelmon instance: HTTP endpoints up first (live, not ready), then topics ensured
 * (retrying while the broker is unreachable, giving up when it refuses the credentials), then the
 * Kafka Streams topology running with its metrics exported. Ready means the stream is running and
 * the Kafka cluster answers.
 */
public final class ModelmonApplication implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelmonApplication.class);
  private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(30);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  // A thread dies at most about once a minute (max.block.ms) in an outage; five in ten minutes is
  // more than a passing outage makes.
  private static final int MAX_THREAD_REPLACEMENTS = 5;
  // Deciding whether a new model is admitted takes one round trip to the admission log; longer
  // than this is an outage, and the event is processed again after it.
  private static final Duration ADMISSION_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration THREAD_REPLACEMENT_PERIOD = Duration.ofMinutes(10);

  private final ModelmonConfig config;
  private final Time streamsClock;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusMeterRegistry meterRegistry;
  private final ModelmonMetrics metrics;
  private final WatermarkGauge watermarkGauge;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final List<AutoCloseable> binders;
  private volatile AdmissionLog admission;
  private volatile KafkaStreams streams;
  private volatile KafkaStreamsMetrics streamsMetrics;
  private volatile BrokerProbe brokerProbe;

  /** Topic set-up's Admin client while it retries: close() closes it to end a wait at once. */
  private volatile Admin setupAdmin;

  private volatile boolean closing;
  private HttpApi http;

  private ModelmonApplication(final ModelmonConfig config, final Time streamsClock) {
    checkRocksDbBound(config);
    this.config = config;
    this.streamsClock = streamsClock;
    this.meterRegistry =
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, registry, Clock.SYSTEM);
    final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(meterRegistry);
    new JvmMemoryMetrics().bindTo(meterRegistry);
    new JvmThreadMetrics().bindTo(meterRegistry);
    new ClassLoaderMetrics().bindTo(meterRegistry);
    new ProcessorMetrics().bindTo(meterRegistry);
    new UptimeMetrics().bindTo(meterRegistry);
    this.binders = List.of(gcMetrics);
    this.metrics =
        ModelmonMetrics.register(registry, config.metricsMaxClasses(), config.calibrationBins());
    this.watermarkGauge = WatermarkGauge.register(registry);
  }

  /**
   * Starts an instance with {@code config}: returns once the HTTP endpoints answer and the stream
   * has been started, which may take as long as the broker stays unreachable.
   *
   * @throws ConfigException when the broker refuses the configured credentials; the message is one
   *     line naming the bootstrap servers and the settings to check
   */
  public static ModelmonApplication start(final ModelmonConfig config) {
    return start(config, Time.SYSTEM);
  }

  /**
   * As {@link #start(ModelmonConfig)}, with the stream's wall clock read from {@code streamsClock}:
   * event-time validation, punctuation and idleness all run on it. For tests of a clock that is not
   * the broker's.
   */
  public static ModelmonApplication start(final ModelmonConfig config, final Time streamsClock) {
    final ModelmonApplication application = new ModelmonApplication(config, streamsClock);
    application.start();
    return application;
  }

  /**
   * An instance with {@code config}, not started yet: for a caller that must be able to {@link
   * #close()} it while {@link #start()} still waits for the broker, such as a signal handler.
   */
  public static ModelmonApplication create(final ModelmonConfig config) {
    return new ModelmonApplication(config, Time.SYSTEM);
  }

  /**
   * Kafka Streams reads {@code kafka.rocksdb.total.memory.bytes} only when a stream thread opens a
   * store, where a bad value would kill the thread: read it at start-up instead.
   */
  private static void checkRocksDbBound(final ModelmonConfig config) {
    try {
      BoundedMemoryRocksDBConfig.totalMemoryBytes(config.kafka());
    } catch (org.apache.kafka.common.config.ConfigException e) {
      throw new ConfigException(
          "kafka." + BoundedMemoryRocksDBConfig.TOTAL_MEMORY_CONFIG + ": " + e.getMessage(), e);
    }
  }

  /**
   * Serves HTTP, then starts the stream: returns once it has been started, which may take as long
   * as the broker stays unreachable, or as soon as {@link #close()} is called, from any thread.
   */
  public void start() {
    try {
      synchronized (this) {
        if (closing) {
          return;
        }
        startHttp();
        brokerProbe =
            BrokerProbe.start(
                adminProperties(), BrokerProbe.DEFAULT_INTERVAL, BrokerProbe.DEFAULT_TIMEOUT);
      }
      startStreams();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void startHttp() {
    final ReferenceParser referenceParser =
        new ReferenceParser(config.probabilityTolerance(), config.maxClasses());
    final StateQueries localState =
        new StateQueries(this::streamsOrNull, referenceParser, config.detector());
    WindowMetricsCollector.register(
        registry, localState, config.metricsMaxClasses(), config.detector().h());
    final ApplicationQueries queries =
        new ApplicationQueries(localState, this::streamsOrNull, this::applicationServer);
    try {
      http =
          HttpApi.start(
              config.httpHost(),
              config.httpPort(),
              registry,
              this::streamState,
              this::brokerReachable,
              queries,
              config.windows().stream().map(WindowSpec::label).toList(),
              java.time.Clock.systemUTC());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve HTTP on " + config.httpHost() + ":" + config.httpPort(), e);
    }
  }

  private void startStreams() {
    final int inputPartitions = ensureTopicsRetrying();
    // Under the monitor of close(), so that a close() meanwhile either comes first and no stream
    // starts, or comes after and finds the stream to close.
    synchronized (this) {
      if (closing) {
        return;
      }
      startStreams(inputPartitions);
    }
  }

  private void startStreams(final int inputPartitions) {
    final Map<String, Object> clientSettings = new HashMap<>();
    adminProperties().forEach((key, value) -> clientSettings.put((String) key, value));
    admission =
        AdmissionLog.open(
            TopicSetup.admissionTopic(config),
            config.maxModels(),
            clientSettings,
            ADMISSION_TIMEOUT);
    final Topology topology =
        ModelmonTopology.build(config, inputPartitions, metrics, watermarkGauge, admission);
    final Properties properties = ModelmonTopology.streamsProperties(config, metrics);
    final HostInfo server = applicationServer();
    properties.put(StreamsConfig.APPLICATION_SERVER_CONFIG, server.host() + ":" + server.port());
    final KafkaStreams kafkaStreams = new KafkaStreams(topology, properties, streamsClock);
    kafkaStreams.setUncaughtExceptionHandler(
        new StreamThreadFailures(
            MAX_THREAD_REPLACEMENTS, THREAD_REPLACEMENT_PERIOD, System::nanoTime));
    kafkaStreams.setStateListener(
        (newState, oldState) -> {
          LOG.atInfo()
              .addKeyValue("from", oldState)
              .addKeyValue("to", newState)
              .log("Stream state changed");
          if (newState == KafkaStreams.State.ERROR
              || (newState == KafkaStreams.State.NOT_RUNNING && !closing)) {
            terminated.countDown();
          }
        });
    streamsMetrics = new KafkaStreamsMetrics(kafkaStreams);
    streamsMetrics.bindTo(meterRegistry);
    streams = kafkaStreams;
    LOG.atInfo()
        .addKeyValue("applicationId", config.applicationId())
        .addKeyValue("inputPartitions", inputPartitions)
        .addKeyValue("windows", config.windows().stream().map(WindowSpec::label).toList())
        .log("Starting stream");
    kafkaStreams.start();
  }

  /**
   * Ensures the topics exist, retrying with backoff while the broker cannot be reached.
   *
   * @throws ConfigException when the broker refuses the credentials
   */
  private int ensureTopicsRetrying() {
    final Properties adminProperties = adminProperties();
    adminProperties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    adminProperties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    Duration backoff = Duration.ofSeconds(1);
    try (Admin admin = Admin.create(adminProperties)) {
      setupAdmin = admin;
      while (!closing) {
        try {
          return TopicSetup.ensureTopics(admin, config);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof AuthenticationException authentication) {
            throw authenticationFailed(authentication);
          }
          if (closing) {
            break; // close() failed the call on purpose
          }
          LOG.atWarn()
              .addKeyValue("bootstrapServers", config.bootstrapServers())
              .addKeyValue("error", String.valueOf(e.getCause()))
              .addKeyValue("retryIn", Durations.format(backoff))
              .log("Cannot set up topics; not ready, retrying");
          if (terminated.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
            break;
          }
          backoff =
              backoff.multipliedBy(2).compareTo(MAX_RETRY_BACKOFF) > 0
                  ? MAX_RETRY_BACKOFF
                  : backoff.multipliedBy(2);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      setupAdmin = null;
    }
    return 0;
  }

  /** Admin client settings: every {@code kafka.*} pass-through key, and the bootstrap servers. */
  private Properties adminProperties() {
    final Properties properties = new Properties();
    properties.putAll(config.kafka());
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    return properties;
  }

  /**
   * Wrong credentials are a configuration error, not an outage: retrying cannot fix them, and a
   * process that stays up, not ready, with a warning every 30 s hides the cause. Kafka's message
   * says what the broker refused (never the password).
   */
  private ConfigException authenticationFailed(final AuthenticationException e) {
    final String settings =
        e instanceof SslAuthenticationException ? "kafka.ssl.*" : "kafka.sasl.*";
    return new ConfigException(
        "Kafka authentication failed for "
            + config.bootstrapServers()
            + ": "
            + e.getMessage()
            + "; check the "
            + settings
            + " settings",
        e);
  }

  /**
   * Where peers reach this instance's API for interactive queries: {@code kafka.application.server}
   * when set, else the HTTP bind address, or this host's name when bound to every interface.
   */
  private HostInfo applicationServer() {
    final String configured = config.kafka().get(StreamsConfig.APPLICATION_SERVER_CONFIG);
    if (configured != null) {
      return HostInfo.buildFromEndpoint(configured);
    }
    final String host = config.httpHost();
    if (!host.equals("0.0.0.0") && !host.equals("::") && !host.isEmpty()) {
      return new HostInfo(host, http.port());
    }
    try {
      return new HostInfo(InetAddress.getLocalHost().getHostName(), http.port());
    } catch (UnknownHostException e) {
      return new HostInfo("localhost", http.port());
    }
  }

  private KafkaStreams streamsOrNull() {
    return streams;
  }

  private String streamState() {
    final KafkaStreams current = streams;
    return current == null ? "STARTING" : current.state().name();
  }

  private boolean brokerReachable() {
    final BrokerProbe probe = brokerProbe;
    return probe != null && probe.reachable();
  }

  /** The port the HTTP endpoints listen on (useful when configured as 0). */
  public int httpPort() {
    return http.port();
  }

  /**
   * The registry behind {@code GET /metrics}, for in-process readers (the demo's live summary):
   * reading it is a scrape, with the window gauges read from the state stores at that moment.
   */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Blocks until {@link #close()} has been called or the stream has died for good. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Whether the stream died on its own (not through {@link #close()}). */
  public boolean failed() {
    final KafkaStreams current = streams;
    return !closing && current != null && current.state() == KafkaStreams.State.ERROR;
  }

  /** Stops the stream, then the HTTP server; idempotent. */
  @Override
  public synchronized void close() {
    if (closing && terminated.getCount() == 0 && http == null) {
      return;
    }
    closing = true;
    terminated.countDown();
    // Read after closing is set, as ensureTopicsRetrying() sets it before it reads closing: either
    // it sees closing or this sees its Admin, whose pending call then fails at once instead of
    // holding start() for up to the Admin's API timeout.
    final Admin admin = setupAdmin;
    if (admin != null) {
      admin.close(Duration.ZERO);
    }
    final KafkaStreams current = streams;
    if (current != null) {
      // Leaving the group hands this instance's tasks to the others at once, instead of after
      // the session timeout.
      current.close(
          CloseOptions.timeout(CLOSE_TIMEOUT)
              .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    // After the stream: its threads may be waiting for an admission decision until they stop.
    final AdmissionLog admissionLog = admission;
    if (admissionLog != null) {
      admissionLog.close();
      admission = null;
    }
    final BrokerProbe probe = brokerProbe;
    if (probe != null) {
      probe.close();
      brokerProbe = null;
    }
    if (http != null) {
      http.close();
      http = null;
    }
    for (final AutoCloseable binder : binders) {
      try {
        binder.close();
      } catch (Exception e) {
        LOG.atDebug().setCause(e).log("Closing a metrics binder failed");
      }
    }
    meterRegistry.close();
    LOG.atInfo().log("Stopped");
  }
}
