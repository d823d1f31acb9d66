package org.modelmon.http;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.topology.ModelmonTopology;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;

/**
 * The API's queries over the whole application: what this instance holds, plus what its peers hold,
 * fetched from the instance that owns each (model, version) through Kafka Streams'
 * interactive-query metadata ({@code application.server}).
 */
public final class ApplicationQueries implements ModelQueries {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);

  /** Where a (model, version)'s windows live. */
  private sealed interface Owner {
    record Local() implements Owner {}

    record Remote(HostInfo host) implements Owner {}

    record Unavailable(String reason) implements Owner {}
  }

  private final ModelQueries local;
  private final Supplier<KafkaStreams> streams;
  private final Supplier<HostInfo> self;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param local this instance's own state
   * @param streams the running Kafka Streams client, or null before it exists
   * @param self this instance's {@code application.server} (known once HTTP listens)
   */
  public ApplicationQueries(
      final ModelQueries local,
      final Supplier<KafkaStreams> streams,
      final Supplier<HostInfo> self) {
    this.local = local;
    this.streams = streams;
    this.self = self;
  }

  @Override
  public ModelQueries local() {
    return local;
  }

  @Override
  public Map<ModelKey, ModelSummary> modelsOrThrow() {
    final Map<ModelKey, ModelSummary> models = new LinkedHashMap<>(local.modelsOrThrow());
    for (final StreamsMetadata peer : running().metadataForAllStreamsClients()) {
      if (peer.hostInfo().equals(self.get())) {
        continue;
      }
      final JsonNode list =
          get(peer.hostInfo(), "/api/v1/models?" + HttpApi.LOCAL_PARAMETER + "=true");
      for (final JsonNode item : list) {
        models.put(
            new ModelKey(item.get("model").asText(), item.get("version").asText()),
            new ModelSummary(
                item.get("lastEventMillis").asLong(), item.get("predictions").asLong()));
      }
    }
    return models;
  }

  @Override
  public List<AlarmStatus> alarmsOrThrow() {
    // By (model, version), this instance's first: during a handover two instances may both
    // still answer for one.
    final Map<ModelKey, AlarmStatus> alarms = new LinkedHashMap<>();
    local.alarmsOrThrow().forEach(alarm -> alarms.put(keyOf(alarm), alarm));
    for (final StreamsMetadata peer : running().metadataForAllStreamsClients()) {
      if (peer.hostInfo().equals(self.get())) {
        continue;
      }
      final JsonNode list =
          get(peer.hostInfo(), "/api/v1/alarms?" + HttpApi.LOCAL_PARAMETER + "=true");
      try {
        JSON.convertValue(list, new TypeReference<List<AlarmStatus>>() {})
            .forEach(alarm -> alarms.putIfAbsent(keyOf(alarm), alarm));
      } catch (IllegalArgumentException e) {
        throw new NotReadyException(
            "unreadable answer from " + peer.hostInfo() + ": " + e.getMessage());
      }
    }
    return new ArrayList<>(alarms.values());
  }

  private static ModelKey keyOf(final AlarmStatus alarm) {
    return new ModelKey(alarm.model(), alarm.version());
  }

  @Override
  public List<WindowResult> windows(
      final ModelKey key,
      final String window,
      final Instant from,
      final Instant to,
      final int limit) {
    final Owner owner = ownerOf(key);
    if (owner instanceof Owner.Local) {
      return local.windows(key, window, from, to, limit);
    }
    if (owner instanceof Owner.Remote remote) {
      final String path =
          "/api/v1/models/"
              + encode(key.model())
              + "/windows?version="
              + encode(key.version())
              + "&window="
              + encode(window)
              + "&from="
              + from.toEpochMilli()
              + "&to="
              + to.toEpochMilli()
              + "&limit="
              + limit
              + "&"
              + HttpApi.LOCAL_PARAMETER
              + "=true";
      try {
        return JSON.convertValue(
            get(remote.host(), path), new TypeReference<List<WindowResult>>() {});
      } catch (IllegalArgumentException e) {
        throw new NotReadyException(
            "unreadable answer from " + remote.host() + ": " + e.getMessage());
      }
    }
    throw new NotReadyException(((Owner.Unavailable) owner).reason());
  }

  private Owner ownerOf(final ModelKey key) {
    final KeyQueryMetadata metadata =
        running()
            .queryMetadataForKey(
                ModelmonTopology.WINDOW_HISTORY_STORE, key, ModelmonTopology.ownerPartitioner());
    if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
      return new Owner.Unavailable("no instance owns " + key.qualifiedName() + " right now");
    }
    return metadata.activeHost().equals(self.get())
        ? new Owner.Local()
        : new Owner.Remote(metadata.activeHost());
  }

  private KafkaStreams running() {
    final KafkaStreams current = streams.get();
    if (current == null) {
      throw new NotReadyException("the stream has not started yet");
    }
    final KafkaStreams.State state = current.state();
    if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
      throw new NotReadyException("the stream is " + state);
    }
    return current;
  }

  private JsonNode get(final HostInfo host, final String pathAndQuery) {
    final URI uri = URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery);
    try {
      final HttpResponse<byte[]> response =
          http.send(
              HttpRequest.newBuilder(uri).timeout(PEER_TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      final JsonNode body = JSON.readTree(response.body());
      if (response.statusCode() != 200) {
        throw new NotReadyException(
            "instance "
                + host
                + " answered "
                + response.statusCode()
                + ": "
                + (body.has("error") ? body.get("error").asText() : ""));
      }
      return body;
    } catch (IOException e) {
      throw new NotReadyException("instance " + host + " is unreachable: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotReadyException("interrupted while asking " + host);
    }
  }

  private static String encode(final String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
