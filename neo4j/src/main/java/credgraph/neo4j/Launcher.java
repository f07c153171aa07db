package credgraph.neo4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

/**
 * Starts a real Neo4j 5 Community server (the in-process server of neo4j-harness, Neo4j's own
 * engine) with Bolt on 127.0.0.1 and a free port, writes its URI to a file once it answers, and
 * runs until it is stopped (SIGTERM, or the end of a watched process).
 *
 * <p>Arguments: {@code --work DIR} (emptied first: every start begins with an empty database),
 * {@code --uri-file FILE}, optional {@code --copy-from DIR} (start on the server folder that
 * {@code neo4j-admin database import} wrote: {@code DIR/data/databases/neo4j} and
 * {@code DIR/data/transactions/neo4j}), {@code --pagecache-mb N}, {@code --watch-pid PID} and
 * {@code --password-file FILE}: with it, authentication is on and user {@code neo4j} gets the
 * password in that file (without it, authentication is off, the harness's default).
 */
public final class Launcher {
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(1);

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    Path work = Path.of(required(opts, "--work")).toAbsolutePath();
    Path uriFile = Path.of(required(opts, "--uri-file")).toAbsolutePath();
    long pagecache = ByteUnit.mebiBytes(Long.parseLong(opts.getOrDefault("--pagecache-mb", "256")));

    Files.deleteIfExists(uriFile);
    deleteTree(work);
    Files.createDirectories(work);

    Neo4jBuilder builder =
        Neo4jBuilders.newInProcessBuilder(work)
            .withDisabledServer()
            .withConfig(BoltConnector.enabled, true)
            .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
            .withConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
            // stop within a second instead of Netty's graceful quiet periods
            .withConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, SHUTDOWN_WAIT)
            .withConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, SHUTDOWN_WAIT);
    String password = null;
    if (opts.containsKey("--password-file")) {
      password = Files.readString(Path.of(opts.get("--password-file"))).strip();
      builder = builder.withConfig(GraphDatabaseSettings.auth_enabled, true);
    }
    if (opts.containsKey("--copy-from")) {
      builder = builder.copyFrom(Path.of(opts.get("--copy-from")).toAbsolutePath());
    }
    Neo4j neo4j = builder.build();
    if (password != null) {
      neo4j
          .databaseManagementService()
          .database("system")
          .executeTransactionally(
              "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
              Map.of("password", password));
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  neo4j.close();
                  stopped.countDown();
                }));
    if (opts.containsKey("--watch-pid")) {
      long pid = Long.parseLong(opts.get("--watch-pid"));
      ProcessHandle.of(pid)
          .ifPresentOrElse(
              parent -> parent.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
    }

    URI bolt = URI.create("bolt://" + neo4j.boltURI().getAuthority());
    Path partial = uriFile.resolveSibling(uriFile.getFileName() + ".tmp");
    Files.createDirectories(uriFile.getParent());
    Files.writeString(partial, bolt + "\n", StandardCharsets.UTF_8);
    Files.move(partial, uriFile, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("Neo4j ready at " + bolt + " (work folder " + work + ")");
    System.out.flush();
    stopped.await();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      opts.put(args[i], args[i + 1]);
    }
    if (args.length % 2 != 0) {
      throw new IllegalArgumentException("option without a value: " + args[args.length - 1]);
    }
    return opts;
  }

  private static String required(Map<String, String> opts, String name) {
    String value = opts.get(name);
    if (value == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return value;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.delete(path);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
