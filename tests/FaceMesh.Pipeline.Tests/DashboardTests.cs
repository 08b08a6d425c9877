using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using FaceMesh.Contracts.V1;
using FaceMesh.LoadGenerator;
using Google.Protobuf;
using Grpc.Net.Client;

namespace FaceMesh.Pipeline.Tests;

/// <summary>
/// The dashboards and alert rules against a real Prometheus: the fleet runs as four processes (enrollment
/// events through RabbitMQ), Prometheus scrapes them and RabbitMQ every second, the load generator drives
/// Verify and Identify, then every panel query must return at least one series and every rule expression
/// must evaluate. Needs the prometheus binary (tests/run installs it; FACEMESH_REQUIRE_PROMETHEUS=1 makes
/// its absence a failure) and RabbitMQ.
/// </summary>
[Collection(EnrollmentEventsCollection.Name)]
public sealed class DashboardTests
{
    private static readonly string Charts = Path.Combine(TestPaths.RepositoryRoot, "charts", "facemesh");

    private static string? SkipReason()
    {
        bool required = Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_PROMETHEUS") == "1";
        if (!File.Exists("/usr/bin/prometheus"))
            return required ? throw new InvalidOperationException("Prometheus is required (FACEMESH_REQUIRE_PROMETHEUS=1) but /usr/bin/prometheus is missing; apt-get install prometheus.")
                            : "No /usr/bin/prometheus: apt-get install prometheus (tests/run does).";
        return RabbitMq.SkipReason();
    }

    private sealed class Fleet : IAsyncDisposable
    {
        public readonly List<Process> Processes = [];
        public readonly Dictionary<string, int> Http = [];
        public int GatewayGrpc;

        public async Task Start(string virtualHost)
        {
            int Free() => LoopbackService.FreePort();
            var grpc = new Dictionary<string, int> { ["Detector"] = Free(), ["Embedder"] = Free(), ["Matcher"] = Free(), ["Gateway"] = Free() };
            foreach (var service in grpc.Keys)
                Http[service] = Free();
            string[] bus = ["--Bus:Transport=RabbitMq", $"--Bus:VirtualHost={virtualHost}"];
            var settings = new Dictionary<string, string[]>
            {
                ["Detector"] = [$"--Detector:Pack={TestPaths.DefaultPack}"],
                ["Embedder"] = [$"--Embedder:Pack={TestPaths.DefaultPack}"],
                ["Matcher"] = bus,
                ["Gateway"] = [.. bus, LoopbackFleet.Anonymous, $"--Gateway:DetectorAddress=http://127.0.0.1:{grpc["Detector"]}",
                               $"--Gateway:EmbedderAddress=http://127.0.0.1:{grpc["Embedder"]}", $"--Gateway:MatcherAddress=http://127.0.0.1:{grpc["Matcher"]}"],
            };
            foreach (var (service, port) in grpc)
            {
                Processes.Add(TestProcess.StartService(service,
                    [$"--Endpoints:GrpcPort={port}", $"--Endpoints:HttpPort={Http[service]}", "--Logging:LogLevel:Default=Warning", .. settings[service]]));
            }
            GatewayGrpc = grpc["Gateway"];
            foreach (var port in Http.Values)
                await TestProcess.WaitReady(port);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in Processes)
            {
                if (!process.HasExited)
                    process.Kill();
                await process.WaitForExitAsync();
            }
        }
    }

    [SkippableFact]
    public async Task Every_dashboard_panel_returns_data_under_load_and_every_alert_rule_evaluates()
    {
        var reason = SkipReason();
        Skip.If(reason is not null, reason);
        var virtualHost = "facemesh-dashboards-" + Guid.NewGuid().ToString("N")[..8];
        RabbitMq.Script("add-vhost", virtualHost);
        await using var fleet = new Fleet();
        Process? prometheus = null;
        try
        {
            await fleet.Start(virtualHost);
            int prometheusPort = LoopbackService.FreePort();
            var data = TestPaths.NewTempDirectory();
            var config = Path.Combine(data, "prometheus.yml");
            File.WriteAllText(config, $$"""
                global: { scrape_interval: 1s, evaluation_interval: 1s }
                rule_files: ["{{Path.Combine(Charts, "rules", "facemesh-alerts.yaml")}}"]
                scrape_configs:
                {{string.Join("\n", fleet.Http.Select(kv => $"  - {{ job_name: facemesh-{kv.Key.ToLowerInvariant()}, static_configs: [{{ targets: [\"127.0.0.1:{kv.Value}\"] }}] }}"))}}
                  - { job_name: rabbitmq, static_configs: [{ targets: ["127.0.0.1:15692"] }] }
                """);
            prometheus = TestProcess.Start("/usr/bin/prometheus",
                [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(data, "tsdb")}", $"--web.listen-address=127.0.0.1:{prometheusPort}"]);
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{prometheusPort}") };
            for (int i = 0; i < 100; i++)
            {
                try
                {
                    if ((await api.GetAsync("/-/ready")).IsSuccessStatusCode)
                        break;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(200);
            }

            // Load: a few enrollments (events through RabbitMQ), then Verify and Identify for a while.
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{fleet.GatewayGrpc}", new GrpcChannelOptions { MaxSendMessageSize = 32 << 20 });
            var client = new Contracts.V1.FaceMesh.FaceMeshClient(channel);
            Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };
            foreach (var (subject, photo) in new[] { ("obama", "obama.jpg"), ("biden", "biden.jpg") })
                await client.EnrollAsync(new EnrollRequest { Gallery = "watched", SubjectId = subject, Photos = { new EnrollPhoto { Image = Photo(photo) } }, WaitUntilSearchable = true });
            var probe = Photo("obama-240p.jpg");
            var reference = Photo("obama_small.jpg");
            int n = 0;
            var load = new LoadRun(async token =>
            {
                if (Interlocked.Increment(ref n) % 2 == 0)
                    await client.VerifyAsync(new VerifyRequest { Probe = probe, ReferenceImage = reference }, cancellationToken: token);
                else
                    await client.IdentifyAsync(new IdentifyRequest { Gallery = "watched", Image = probe }, cancellationToken: token);
            }, new LoadOptions { Concurrency = 2, Duration = TimeSpan.FromSeconds(8), Warmup = TimeSpan.FromSeconds(1) });
            var result = await load.RunAsync();
            Assert.Empty(result.Errors);
            await Task.Delay(TimeSpan.FromSeconds(4)); // a few more scrapes and rule evaluations

            async Task<(bool Ok, int Series, string Error)> Query(string expr)
            {
                var answer = await api.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(expr));
                bool ok = answer.GetProperty("status").GetString() == "success";
                return (ok, ok ? answer.GetProperty("data").GetProperty("result").GetArrayLength() : 0,
                        answer.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "");
            }

            var empty = new List<string>();
            int panels = 0, queries = 0;
            foreach (var file in Directory.GetFiles(Path.Combine(Charts, "dashboards"), "*.json"))
            {
                var dashboard = JsonDocument.Parse(File.ReadAllText(file)).RootElement;
                foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
                {
                    panels++;
                    foreach (var target in panel.GetProperty("targets").EnumerateArray())
                    {
                        queries++;
                        var expr = target.GetProperty("expr").GetString()!.Replace("$__rate_interval", "30s");
                        var (ok, series, error) = await Query(expr);
                        if (!ok || series == 0)
                            empty.Add($"{dashboard.GetProperty("title").GetString()} / {panel.GetProperty("title").GetString()}: {(ok ? "no series" : error)} ({expr})");
                    }
                }
            }
            var rules = await api.GetFromJsonAsync<JsonElement>("/api/v1/rules");
            var loaded = rules.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToArray();
            var broken = new List<string>();
            foreach (var rule in loaded)
            {
                var (ok, _, error) = await Query(rule.GetProperty("query").GetString()!);
                if (!ok || rule.GetProperty("health").GetString() != "ok")
                    broken.Add($"{rule.GetProperty("name").GetString()}: {error} {rule.GetProperty("lastError")}");
            }
            Console.WriteLine($"dashboards: {panels} panels, {queries} queries, {queries - empty.Count} with data; alert rules: {loaded.Length} loaded, {loaded.Length - broken.Count} evaluate");
            Assert.True(empty.Count == 0, "Panels without data:\n" + string.Join("\n", empty));
            Assert.True(broken.Count == 0, "Rules that do not evaluate:\n" + string.Join("\n", broken));
            Assert.Equal(26, panels);
            Assert.Equal(12, loaded.Length);
        }
        finally
        {
            if (prometheus is { HasExited: false })
                prometheus.Kill();
            RabbitMq.Script("delete-vhost", virtualHost);
        }
    }
}
