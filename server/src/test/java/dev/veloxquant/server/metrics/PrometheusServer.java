package dev.veloxquant.server.metrics;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's {@code prometheus} binary run on a free loopback port, scraping one target every second. */
final class PrometheusServer implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Process process;
    private final Path log;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PrometheusServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.base = "http://127.0.0.1:" + port;
    }

    /** Whether {@code name} is an executable on the PATH. */
    static boolean onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /** The scrape config for a VeloxQuant server at {@code target} (host:port), with the project's alert rules. */
    static String config(String target, Path alertRules) {
        return """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: veloxquant
                    metrics_path: /actuator/prometheus
                    static_configs:
                      - targets: ["%s"]
                """.formatted(alertRules.toAbsolutePath().normalize(), target);
    }

    static PrometheusServer start(Path workDir, Path configFile) throws IOException, InterruptedException {
        int port = freePort();
        Path log = workDir.resolve("prometheus.log");
        Process p = new ProcessBuilder("prometheus", "--config.file=" + configFile.toAbsolutePath(),
                "--storage.tsdb.path=" + workDir.resolve("data").toAbsolutePath(),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(p, log, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!server.ready()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String out = Files.exists(log) ? Files.readString(log) : "";
                server.close();
                throw new IllegalStateException("Prometheus did not start:\n" + out);
            }
            Thread.sleep(100);
        }
        return server;
    }

    private boolean ready() {
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs an instant query; returns the result vector (empty when the query matched nothing). */
    List<JsonNode> query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(r.body());
        if (r.statusCode() != 200 || !"success".equals(body.path("status").asString())) {
            throw new IllegalArgumentException("query failed (" + r.statusCode() + "): " + body.path("error").asString() + " in " + promql);
        }
        List<JsonNode> out = new ArrayList<>();
        JsonNode result = body.path("data").path("result");
        if ("scalar".equals(body.path("data").path("resultType").asString())) {
            out.add(result);
        } else {
            result.forEach(out::add);
        }
        return out;
    }

    /** A query's single value (sum it yourself first); NaN when empty. */
    double value(String promql) throws IOException, InterruptedException {
        List<JsonNode> r = query(promql);
        return r.isEmpty() ? Double.NaN : Double.parseDouble(r.getFirst().path("value").get(1).asString());
    }

    /** Rule groups as Prometheus evaluates them. */
    JsonNode rules() throws IOException, InterruptedException {
        return JSON.readTree(get("/api/v1/rules").body()).path("data").path("groups");
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runs {@code promtool args...}; returns its exit status and output. */
    static ToolResult promtool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new ToolResult(p.waitFor(), out);
    }

    record ToolResult(int exitCode, String output) {
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
