using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FaceMesh.Contracts.V1;
using FaceMesh.LoadGenerator;
using FaceMesh.Messaging.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using MassTransit;

namespace FaceMesh.SystemTests;

/// <summary>
/// The dashboards and alert rules against a real Prometheus, labelled as the Prometheus Operator labels a release
/// that is not called "facemesh": the fleet runs as four processes (enrollment events through RabbitMQ), and the
/// scrape config rewrites every target's namespace, job, service, pod, container and endpoint the way a
/// ServiceMonitor does (job = the Kubernetes Service's name, honor_labels off). The load generator drives Verify and
/// Identify; every panel query (with the dashboard variables set to the release's namespace) must return data and
/// every rule must evaluate. Then faults are made and the alert each one should raise must go pending or firing.
/// kube-state-metrics and the kubelet's volume statistics need a cluster: a stand-in exporter serves their series
/// for the release's pods (the panels and alerts on them join those series with the fleet's own). Needs the
/// prometheus binary (tests/run installs it; FACEMESH_REQUIRE_PROMETHEUS=1 makes its absence a failure) and RabbitMQ.
/// </summary>
[Collection(EnrollmentEventsCollection.Name)]
public sealed class DashboardTests
{
    private static readonly string Charts = Path.Combine(TestPaths.RepositoryRoot, "charts", "facemesh");
    private const string Namespace = "team-a";
    private const string Release = "vision-prod"; // the chart's fullname becomes vision-prod-facemesh
    private static string Job(string component) => $"{Release}-facemesh-{component}";
    private static string Pod(string component) => component == "matcher" ? $"{Job(component)}-0" : $"{Job(component)}-6f9c7d8b5-x2k4p";
    private static readonly string[] Components = ["gateway", "detector", "embedder", "matcher"];

    private static string? SkipReason()
    {
        bool required = Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_PROMETHEUS") == "1";
        if (!File.Exists("/usr/bin/prometheus"))
            return required ? throw new InvalidOperationException("Prometheus is required (FACEMESH_REQUIRE_PROMETHEUS=1) but /usr/bin/prometheus is missing; apt-get install prometheus.")
                            : "No /usr/bin/prometheus: apt-get install prometheus (tests/run does).";
        return RabbitMq.SkipReason();
    }

    private sealed class Fleet(string virtualHost, string certificate, string key) : IAsyncDisposable
    {
        public readonly Dictionary<string, Process> Processes = [];
        public readonly Dictionary<string, int> Grpc = [];
        public readonly Dictionary<string, int> Http = [];

        private string[] Settings(string component) => component switch
        {
            "detector" => [$"--Detector:Pack={TestPaths.DefaultPack}"],
            // Asked for CUDA on a machine without a GPU: it falls back to the CPU (FaceMeshEmbedderOnCpu).
            "embedder" => [$"--Embedder:Pack={TestPaths.DefaultPack}", "--Embedder:Provider=Cuda"],
            "matcher" => ["--Bus:Transport=RabbitMq", $"--Bus:VirtualHost={virtualHost}"],
            _ => ["--Bus:Transport=RabbitMq", $"--Bus:VirtualHost={virtualHost}", LoopbackFleet.Anonymous,
                  $"--Endpoints:TlsCertificateFile={certificate}", $"--Endpoints:TlsKeyFile={key}",
                  $"--Gateway:DetectorAddress=http://127.0.0.1:{Grpc["detector"]}", $"--Gateway:EmbedderAddress=http://127.0.0.1:{Grpc["embedder"]}",
                  $"--Gateway:MatcherAddress=http://127.0.0.1:{Grpc["matcher"]}"],
        };

        // The Embedder's runtime is told its memory limit is 200 MiB, below its working set (FaceMeshMemoryNearLimit),
        // as a container limit would tell it.
        private static IReadOnlyDictionary<string, string>? Environment(string component) =>
            component == "embedder" ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0xC800000" } : null;

        public async Task Start()
        {
            foreach (var component in Components)
                (Grpc[component], Http[component]) = (LoopbackService.FreePort(), LoopbackService.FreePort());
            foreach (var component in Components)
                Launch(component);
            foreach (var port in Http.Values)
                await TestProcess.WaitReady(port);
        }

        public void Launch(string component)
        {
            var service = char.ToUpperInvariant(component[0]) + component[1..];
            Processes[component] = TestProcess.StartService(service,
                [$"--Endpoints:GrpcPort={Grpc[component]}", $"--Endpoints:HttpPort={Http[component]}", "--Logging:LogLevel:Default=Warning", .. Settings(component)],
                environment: Environment(component));
        }

        public async Task Kill(string component)
        {
            Processes[component].Kill();
            await Processes[component].WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var process in Processes.Values)
            {
                if (!process.HasExited)
                    process.Kill();
                await process.WaitForExitAsync();
            }
        }
    }

    /// <summary>
    /// kube-state-metrics and the kubelet for the release's pods: restarts (the Matcher's counter rises, its last end an
    /// OOM kill), the Detector's autoscaler at its maximum, the Matcher's volume 90 % full. A stand-in: there is no
    /// cluster here.
    /// </summary>
    private sealed class KubernetesMetricsStandIn : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Stopwatch _since = Stopwatch.StartNew();
        public int Port { get; } = LoopbackService.FreePort();

        public KubernetesMetricsStandIn()
        {
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _ = Serve();
        }

        private string Exposition()
        {
            var text = new StringBuilder();
            int restarts = (int)(_since.Elapsed.TotalSeconds / 3);
            foreach (var component in Components)
            {
                string labels = $"namespace=\"{Namespace}\",pod=\"{Pod(component)}\",container=\"{component}\"";
                text.Append($"kube_pod_container_status_restarts_total{{{labels}}} {(component == "matcher" ? restarts : 0)}\n");
                text.Append($"kube_pod_container_status_last_terminated_reason{{{labels},reason=\"{(component == "matcher" ? "OOMKilled" : "Completed")}\"}} 1\n");
                if (component == "matcher")
                    continue;
                string hpa = $"namespace=\"{Namespace}\",horizontalpodautoscaler=\"{Job(component)}\"";
                int current = component == "detector" ? 20 : 2;
                text.Append($"kube_horizontalpodautoscaler_status_current_replicas{{{hpa}}} {current}\n");
                text.Append($"kube_horizontalpodautoscaler_status_desired_replicas{{{hpa}}} {current}\n");
                text.Append($"kube_horizontalpodautoscaler_spec_max_replicas{{{hpa}}} 20\n");
            }
            string claim = $"namespace=\"{Namespace}\",persistentvolumeclaim=\"data-{Job("matcher")}-0\"";
            text.Append($"kubelet_volume_stats_capacity_bytes{{{claim}}} 21474836480\n");
            text.Append($"kubelet_volume_stats_available_bytes{{{claim}}} 2147483648\n");
            return text.ToString();
        }

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                _ = Answer(context);
            }
        }

        /// <summary>Answers one scrape on its own: a scrape that Prometheus gave up on under load (its connection closed
        /// mid-answer) fails alone and never stops the stand-in, whose series would otherwise go stale for the rest of
        /// the test.</summary>
        private async Task Answer(HttpListenerContext context)
        {
            try
            {
                var body = Encoding.UTF8.GetBytes(Exposition());
                context.Response.ContentType = "text/plain; version=0.0.4";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
            {
                context.Response.Abort();
            }
        }

        public void Dispose() => _listener.Close();
    }

    /// <summary>The scrape config a ServiceMonitor generates, reproduced for static targets (what the chart's sets, relabelings
    /// included).</summary>
    private static string ScrapeConfig(Fleet fleet, int standIn, bool withDetector) =>
        $$"""
        global: { scrape_interval: 1s, evaluation_interval: 1s }
        rule_files: ["{{Path.Combine(Charts, "rules", "facemesh-alerts.yaml")}}"]
        scrape_configs:
        {{string.Concat(Components.Select(c => $$"""
          - job_name: serviceMonitor/{{Namespace}}/{{Job(c)}}/0
            honor_labels: false
            static_configs: [{{(withDetector || c != "detector" ? $"{{ targets: [\"127.0.0.1:{fleet.Http[c]}\"] }}" : "")}}]
            relabel_configs:
              - { target_label: namespace, replacement: {{Namespace}} }
              - { target_label: service, replacement: {{Job(c)}} }
              - { target_label: job, replacement: {{Job(c)}} }
              - { target_label: pod, replacement: {{Pod(c)}} }
              - { target_label: container, replacement: {{c}} }
              - { target_label: endpoint, replacement: http }
              - { target_label: facemesh_component, replacement: {{c}} }

        """))}}
          - job_name: rabbitmq
            static_configs: [{ targets: ["127.0.0.1:15692"] }]
            relabel_configs: [{ target_label: namespace, replacement: messaging }]
          - job_name: kube-state-metrics
            honor_labels: true
            static_configs: [{ targets: ["127.0.0.1:{{standIn}}"] }]
        """;

    [SkippableFact]
    public async Task Every_panel_returns_data_and_every_alert_fires_on_its_fault_under_the_operators_labels_with_kubernetes_metrics_stood_in()
    {
        var reason = SkipReason();
        Skip.If(reason is not null, reason);
        var virtualHost = "facemesh-dashboards-" + Guid.NewGuid().ToString("N")[..8];
        RabbitMq.Script("add-vhost", virtualHost);
        var tls = TestCertificate.SelfSigned("facemesh-gateway.test", validFor: TimeSpan.FromDays(5), validSince: TimeSpan.FromDays(85));
        var served = tls.Certificate;
        var (certFile, keyFile) = tls.Write();
        await using var fleet = new Fleet(virtualHost, certFile, keyFile);
        using var standIn = new KubernetesMetricsStandIn();
        Process? prometheus = null;
        try
        {
            await fleet.Start();
            int prometheusPort = LoopbackService.FreePort();
            var data = TestPaths.NewTempDirectory();
            var config = Path.Combine(data, "prometheus.yml");
            File.WriteAllText(config, ScrapeConfig(fleet, standIn.Port, withDetector: true));
            prometheus = TestProcess.Start("/usr/bin/prometheus",
                [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(data, "tsdb")}", $"--web.listen-address=127.0.0.1:{prometheusPort}", "--web.enable-lifecycle"]);
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

            // Load, over TLS to the Gateway (which trusts exactly its certificate): a few enrollments (events through
            // RabbitMQ), then Verify and Identify for a while.
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == served.GetCertHashString();
            using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{fleet.Grpc["gateway"]}", new GrpcChannelOptions { HttpHandler = handler, MaxSendMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes });
            var client = new FaceMeshApi.FaceMeshApiClient(channel);
            Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };
            foreach (var (subject, photo) in new[] { ("obama", "obama.jpg"), ("biden", "biden.jpg") })
                await client.EnrollAsync(new EnrollRequest { Gallery = "watched", SubjectId = subject, Photos = { new EnrollPhoto { Image = Photo(photo) } }, WaitUntilSearchable = true });
            // People: two photos grouped, for the people panels (events through RabbitMQ as well).
            await client.AddPhotosAsync(new AddPhotosRequest
            {
                Gallery = "watched", WaitUntilGrouped = true,
                Photos = { new PeoplePhoto { PhotoId = "1", Image = Photo("obama.jpg") }, new PeoplePhoto { PhotoId = "2",
                    Image = Photo("obama2.jpg") } },
            });
            var probe = Photo("obama-240p.jpg");
            var reference = Photo("obama_small.jpg");
            LoadRun Load(TimeSpan duration)
            {
                int n = 0;
                return new LoadRun(async token =>
                {
                    if (Interlocked.Increment(ref n) % 2 == 0)
                        await client.VerifyAsync(new VerifyRequest { Probe = probe, ReferenceImage = reference }, cancellationToken: token);
                    else
                        await client.IdentifyAsync(new IdentifyRequest { Gallery = "watched", Image = probe }, cancellationToken: token);
                }, new LoadOptions { Concurrency = 2, Duration = duration, Warmup = TimeSpan.FromSeconds(1) });
            }
            // The error-rate alert wakes nobody below one call every 5 s over its 5-minute window (60 calls): the load
            // goes on until the Gateway has answered 100, however slow the machine.
            var result = await Load(TimeSpan.FromSeconds(8)).RunAsync();
            Assert.Empty(result.Errors);
            for (int answered = result.Succeeded; answered < 100; answered += result.Succeeded)
            {
                result = await Load(TimeSpan.FromSeconds(4)).RunAsync();
                Assert.Empty(result.Errors);
            }

            // A malformed enrollment event (no embedding): dead-lettered at once (FaceMeshErrorQueueNotEmpty).
            await RabbitMq.Publish(virtualHost, new FaceEnrolled { Tenant = "default", Gallery = "watched", SubjectId = "x", FaceId = "malformed-1", ModelId = "m", Embedding = [], EnrolledAt = DateTimeOffset.UtcNow });
            await Task.Delay(TimeSpan.FromSeconds(4)); // a few more scrapes and rule evaluations

            async Task<(bool Ok, JsonElement Result, string Error)> Query(string expr)
            {
                var answer = await api.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(expr));
                bool ok = answer.GetProperty("status").GetString() == "success";
                return (ok, ok ? answer.GetProperty("data").GetProperty("result") : default,
                        answer.TryGetProperty("error", out var e) ? e.GetString() ?? "" : "");
            }

            // A target whose latest scrape failed under the suite's load has its series marked stale until the next one:
            // a query is empty when it stays empty for 10 s of scrapes, not at one instant.
            async Task<(bool Ok, JsonElement Result, string Error)> QueryWithData(string expr, int attempts = 20)
            {
                var answer = await Query(expr);
                for (int again = 0; answer.Ok && answer.Result.GetArrayLength() == 0 && again < attempts; again++)
                {
                    await Task.Delay(500);
                    answer = await Query(expr);
                }
                return answer;
            }

            // Prometheus has scraped the stand-in (under the whole suite's load its first scrapes can be late or time out).
            var scraped = await QueryWithData(
                "count(kube_horizontalpodautoscaler_spec_max_replicas) and count(kube_pod_container_status_last_terminated_reason)" +
                " and count(up{facemesh_component!=\"\"} == 1) >= 4", attempts: 60);
            Assert.True(scraped.Ok && scraped.Result.GetArrayLength() > 0, "Prometheus has not scraped the stand-in and the four services within 30 s: see its /targets page");

            // The application's labels collide with no target label: nothing was renamed to exported_*.
            var renamed = await Query("count({__name__=~\"facemesh_.*|dotnet_.*\", exported_service!=\"\"}) or count({__name__=~\"facemesh_.*|dotnet_.*\", exported_job!=\"\"}) or count({__name__=~\"facemesh_.*|dotnet_.*\", exported_namespace!=\"\"})");
            Assert.Equal(0, renamed.Result.GetArrayLength());

            // Every panel, with the variables set as a user of this release would set them.
            var empty = new List<string>();
            int panels = 0, queries = 0;
            foreach (var file in Directory.GetFiles(Path.Combine(Charts, "dashboards"), "*.json"))
            {
                var dashboard = JsonDocument.Parse(File.ReadAllText(file)).RootElement;
                var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToArray();
                Assert.Equal(new[] { "datasource", "namespace", "job", "pod" }, variables);
                foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
                {
                    panels++;
                    foreach (var target in panel.GetProperty("targets").EnumerateArray())
                    {
                        queries++;
                        var legend = target.GetProperty("legendFormat").GetString()!;
                        Assert.DoesNotContain("{{{", legend);
                        var expr = target.GetProperty("expr").GetString()!.Replace("$__rate_interval", "30s")
                            .Replace("$namespace", Namespace).Replace("$job", ".*").Replace("$pod", ".*");
                        var (ok, series, error) = await QueryWithData(expr);
                        if (!ok || series.GetArrayLength() == 0)
                            empty.Add($"{dashboard.GetProperty("title").GetString()} / {panel.GetProperty("title").GetString()}: {(ok ? "no series" : error)} ({expr})");
                    }
                }
            }
            var rules = await api.GetFromJsonAsync<JsonElement>("/api/v1/rules");
            var loaded = rules.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToArray();
            var broken = new List<string>();
            var silent = new List<string>();
            foreach (var rule in loaded)
            {
                bool recording = rule.GetProperty("type").GetString() == "recording";
                var (ok, series, error) = recording
                    ? await QueryWithData(rule.GetProperty("query").GetString()!)
                    : await Query(rule.GetProperty("query").GetString()!);
                if (!ok || rule.GetProperty("health").GetString() != "ok")
                    broken.Add($"{rule.GetProperty("name").GetString()}: {error} {rule.GetProperty("lastError")}");
                else if (recording && series.GetArrayLength() == 0)
                    silent.Add(rule.GetProperty("name").GetString()!);
            }
            Console.WriteLine($"dashboards under the operator's labels: {panels} panels, {queries} queries, {queries - empty.Count} with data; " +
                              $"rules: {loaded.Length} loaded, {loaded.Length - broken.Count} evaluate, recording rules without data: {silent.Count}");
            Assert.True(empty.Count == 0, "Panels without data:\n" + string.Join("\n", empty));
            Assert.True(broken.Count == 0, "Rules that do not evaluate:\n" + string.Join("\n", broken));
            Assert.True(silent.Count == 0, "Recording rules without data: " + string.Join(", ", silent));
            Assert.Equal(37, panels);
            Assert.Equal(26, loaded.Length);
            foreach (var rule in loaded.Where(r => r.GetProperty("type").GetString() == "alerting"))
            {
                var labels = rule.GetProperty("labels");
                var annotations = rule.GetProperty("annotations");
                Assert.Contains(labels.GetProperty("severity").GetString(), new[] { "critical", "warning" });
                foreach (var key in new[] { "summary", "description", "runbook_url" })
                    Assert.False(string.IsNullOrWhiteSpace(annotations.TryGetProperty(key, out var a) ? a.GetString() : null), $"{rule.GetProperty("name")} has no {key}");
            }

            async Task<Dictionary<string, string>> Alerts()
            {
                var answer = await api.GetFromJsonAsync<JsonElement>("/api/v1/alerts");
                return answer.GetProperty("data").GetProperty("alerts").EnumerateArray()
                    .Where(a => !a.GetProperty("labels").TryGetProperty("vhost", out var v) || v.GetString() == virtualHost)
                    .GroupBy(a => a.GetProperty("labels").GetProperty("alertname").GetString()!)
                    .ToDictionary(g => g.Key, g => g.First().GetProperty("state").GetString()!);
            }
            async Task AssertRaised(params string[] names)
            {
                Dictionary<string, string> alerts = [];
                for (int i = 0; i < 60 && !names.All(alerts.ContainsKey); i++)
                {
                    await Task.Delay(500);
                    alerts = await Alerts();
                }
                var missing = names.Where(n => !alerts.ContainsKey(n)).ToArray();
                Assert.True(missing.Length == 0, $"Not raised: {string.Join(", ", missing)} (active: {string.Join(", ", alerts.Select(a => $"{a.Key}={a.Value}"))})");
            }

            // The faults made so far: CUDA asked for and missing, an Embedder near its limit, a certificate 5 days from
            // expiry, a dead-lettered event; and on the stand-in's series an OOM kill, an autoscaler at its maximum, a
            // volume 90 % full.
            var quiet = await Alerts();
            Assert.DoesNotContain("FaceMeshHighErrorRate", quiet.Keys);
            Assert.DoesNotContain("FaceMeshServiceDown", quiet.Keys);
            await AssertRaised("FaceMeshEmbedderOnCpu", "FaceMeshMemoryNearLimit", "FaceMeshTlsCertificateExpiring", "FaceMeshErrorQueueNotEmpty",
                               "FaceMeshOomKilled", "FaceMeshAutoscalerAtMaximum", "FaceMeshMatcherVolumeFilling");

            // The Matcher dies under load: calls fail at the Gateway, its target is down, nobody consumes the queue. Verify
            // needs no Matcher; Identify fails (Unavailable, after the Gateway's retries) until 20 have failed: over
            // 10 % of the Gateway's calls, whatever the pace of the machine.
            var failing = Load(TimeSpan.FromSeconds(4)).RunAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            await fleet.Kill("matcher");
            await failing;
            int failures = 0;
            async Task IdentifyUntilFailed()
            {
                for (int attempt = 0; attempt < 60 && Volatile.Read(ref failures) < 20; attempt++)
                {
                    var request = new IdentifyRequest { Gallery = "watched", Image = probe };
                    var error = await Assert.ThrowsAsync<RpcException>(() => client.IdentifyAsync(request).ResponseAsync);
                    Assert.Equal(StatusCode.Unavailable, error.StatusCode);
                    Interlocked.Increment(ref failures);
                }
            }
            await Task.WhenAll(IdentifyUntilFailed(), IdentifyUntilFailed());
            Assert.True(failures >= 20, $"{failures} Identify calls failed");
            await AssertRaised("FaceMeshServiceDown", "FaceMeshHighErrorRate", "FaceMeshEnrollmentQueueWithoutConsumer");

            // It comes back on the same address: a restart.
            fleet.Launch("matcher");
            await TestProcess.WaitReady(fleet.Http["matcher"]);
            await AssertRaised("FaceMeshRestarting");

            // The Detectors vanish from discovery altogether (their Service has no endpoints left).
            File.WriteAllText(config, ScrapeConfig(fleet, standIn.Port, withDetector: false));
            Assert.True((await api.PostAsync("/-/reload", null)).IsSuccessStatusCode);
            await AssertRaised("FaceMeshDetectorAbsent");
            Console.WriteLine("alerts raised by their faults: " + string.Join(", ", (await Alerts()).OrderBy(a => a.Key).Select(a => $"{a.Key} ({a.Value})")));
        }
        finally
        {
            if (prometheus is { HasExited: false })
                prometheus.Kill();
            RabbitMq.Script("delete-vhost", virtualHost);
        }
    }
}

/// <summary>The rules' unit tests on synthetic series (charts/facemesh/rules/facemesh-alerts.test.yaml): the error-rate alert's
/// guards.</summary>
public sealed class AlertRuleTests
{
    [SkippableFact]
    public void The_error_rate_alert_ignores_rate_limits_and_night_traffic_and_keeps_releases_apart()
    {
        bool required = Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_PROMETHEUS") == "1";
        Skip.If(!File.Exists("/usr/bin/promtool") && !required, "No /usr/bin/promtool: apt-get install prometheus (tests/run does).");
        var rules = Path.Combine(TestPaths.RepositoryRoot, "charts", "facemesh", "rules");
        var (code, stdout, stderr) = TestProcess.Run("/usr/bin/promtool", "test", "rules", Path.Combine(rules, "facemesh-alerts.test.yaml"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("SUCCESS", stdout + stderr);
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(rules, "facemesh-alerts.test.yaml")), @"^\s+alertname: FaceMeshHighErrorRate", System.Text.RegularExpressions.RegexOptions.Multiline).Count);
    }
}
