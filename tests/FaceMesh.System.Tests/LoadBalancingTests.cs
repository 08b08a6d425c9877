using System.Diagnostics;
using FaceMesh.Contracts.V1;
using FaceMesh.Gateway;
using FaceMesh.Matcher;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.SystemTests;

/// <summary>
/// The Gateway spreads its internal calls over every instance of a service, as it must on Kubernetes, where a headless
/// Service's DNS name answers with one address per pod. Detectors run as separate processes on 127.0.0.11, .12 and .13
/// (the same port), behind one name that /etc/hosts resolves to their addresses, like a headless Service's A records;
/// the Gateway dials <c>dns:///name:port</c>. The Embedders are a fixed list of two on 127.0.0.1 (the local fleet's
/// form). Each instance's share is read from its own <c>/metrics</c>. Editing /etc/hosts needs root (tests/run runs as
/// root); elsewhere the test is skipped unless FACEMESH_REQUIRE_HOSTS_FILE=1.
/// </summary>
[Collection(EnrollmentEventsCollection.Name)] // runs alone: it starts five model-loading processes
public sealed class LoadBalancingTests
{
    private const string HostsFile = "/etc/hosts";

    private static string? SkipReason()
    {
        bool writable;
        try
        {
            using (File.Open(HostsFile, FileMode.Open, FileAccess.ReadWrite)) { }
            writable = true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            writable = false;
        }
        if (writable)
            return null;
        return Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_HOSTS_FILE") == "1"
            ? throw new InvalidOperationException("FACEMESH_REQUIRE_HOSTS_FILE=1 but /etc/hosts is not writable: run the tests as root.")
            : "/etc/hosts is not writable (run as root, as tests/run does): the test names a headless Service's addresses there.";
    }

    /// <summary>A name in /etc/hosts with the addresses given, removed on dispose.</summary>
    private sealed class HostsName : IDisposable
    {
        private readonly string _original = File.ReadAllText(HostsFile);
        public string Name { get; } = $"facemesh-detector-{Guid.NewGuid():N}"[..26] + ".test";

        public void Set(params string[] addresses)
        {
            File.WriteAllText(HostsFile, _original.TrimEnd('\n') + "\n" + string.Concat(addresses.Select(a => $"{a} {Name}\n")));
        }

        public void Dispose() => File.WriteAllText(HostsFile, _original);
    }

    private sealed record Instance(string Name, Process Process, string Host, int Grpc, int Http)
    {
        public async Task<double> Calls(string method)
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://{Host}:{Http}") };
            return PrometheusText.Sum(await http.GetStringAsync("/metrics"), "facemesh_rpc_server_duration_seconds_count", $"method=\"{method}\"");
        }
    }

    [SkippableFact]
    public async Task Calls_spread_over_every_instance_a_new_one_gets_calls_and_a_killed_one_is_dropped_without_failures()
    {
        var reason = SkipReason();
        Skip.If(reason is not null, reason);
        using var hosts = new HostsName();
        var instances = new List<Instance>();
        int detectorPort = LoopbackService.FreePort();
        async Task<Instance> Start(string service, string host, int grpc, params string[] settings)
        {
            int http = LoopbackService.FreePort();
            var process = TestProcess.StartService(service, [$"--Endpoints:Host={host}", $"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}",
                "--Logging:LogLevel:Default=Warning", .. settings]);
            var instance = new Instance($"{service}@{host}:{grpc}", process, host, grpc, http);
            instances.Add(instance);
            await TestProcess.WaitReady(http, host);
            return instance;
        }
        try
        {
            string detectorPack = $"--Detector:Pack={TestPaths.DefaultPack}", embedderPack = $"--Embedder:Pack={TestPaths.DefaultPack}";
            var starting = new[]
            {
                Start("Detector", "127.0.0.11", detectorPort, detectorPack), Start("Detector", "127.0.0.12", detectorPort, detectorPack),
                Start("Embedder", "127.0.0.1", LoopbackService.FreePort(), embedderPack), Start("Embedder", "127.0.0.1", LoopbackService.FreePort(), embedderPack),
            };
            var started = await Task.WhenAll(starting);
            var detectors = started[..2].ToList();
            var embedders = started[2..];
            hosts.Set("127.0.0.11", "127.0.0.12");
            await using var matcher = await LoopbackService.Start(MatcherHost.Build);
            string embedderList = string.Join(",", embedders.Select(e => $"http://127.0.0.1:{e.Grpc}"));
            await using var gateway = await LoopbackService.Start(GatewayHost.Build, LoopbackFleet.Anonymous,
                $"--Gateway:DetectorAddress=dns:///{hosts.Name}:{detectorPort}", $"--Gateway:EmbedderAddress={embedderList}",
                $"--Gateway:MatcherAddress={matcher.GrpcAddress}", "--Gateway:ResolveIntervalSeconds=15");
            var client = new FaceMeshApi.FaceMeshApiClient(gateway.Channel);
            Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };
            var request = new VerifyRequest { Probe = Photo("obama-240p.jpg"), ReferenceImage = Photo("obama_small.jpg") };

            // Verify detects in two photos and embeds two faces: 4 calls at a time keep every instance busy.
            async Task<(int Ok, List<string> Failed)> Verify(int calls, Func<int, Task>? after = null)
            {
                int next = 0, ok = 0;
                var failed = new List<string>();
                await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
                {
                    for (int i; (i = Interlocked.Increment(ref next)) <= calls;)
                    {
                        try
                        {
                            var answer = await client.VerifyAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
                            Assert.True(answer.Match);
                            Interlocked.Increment(ref ok);
                        }
                        catch (RpcException e)
                        {
                            lock (failed)
                                failed.Add($"{e.StatusCode}: {e.Status.Detail}");
                        }
                        if (after is not null)
                            await after(i);
                    }
                }));
                return (ok, failed);
            }

            async Task<double[]> Detects(IEnumerable<Instance> of) => await Task.WhenAll(of.Select(d => d.Calls("Detect")));
            async Task<double[]> Embeds() => await Task.WhenAll(embedders.Select(e => e.Calls("Embed")));

            // 1. Two Detectors behind one name, two Embedders in a list: both of each get a fair share.
            var (ok, failed) = await Verify(40);
            Assert.Empty(failed);
            var detects = await Detects(detectors);
            var embeds = await Embeds();
            Console.WriteLine($"load balancing, 40 Verify: Detect calls per instance {string.Join(" / ", detects)}, Embed calls {string.Join(" / ", embeds)}");
            Assert.Equal(80, detects.Sum());
            Assert.All(detects, n => Assert.InRange(n, 24, 56)); // round robin: 40 each, give or take the retries
            Assert.All(embeds, n => Assert.InRange(n, 0.3 * embeds.Sum(), 0.7 * embeds.Sum()));

            // 2. A third Detector appears in DNS (a pod the autoscaler added): it gets calls without a Gateway restart.
            var third = await Start("Detector", "127.0.0.13", detectorPort, detectorPack);
            detectors.Add(third);
            hosts.Set("127.0.0.11", "127.0.0.12", "127.0.0.13");
            // The name is resolved again within one interval (15 s, the gRPC client's own floor): keep calling until then.
            var waited = Stopwatch.StartNew();
            while (await third.Calls("Detect") == 0)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(45), "The third Detector got no call within 45 s of appearing in DNS.");
                Assert.Empty((await Verify(4)).Failed);
            }
            Console.WriteLine($"load balancing: the third Detector got its first call {waited.Elapsed.TotalSeconds:F1} s after it appeared in DNS");
            var before = await Detects(detectors);
            (ok, failed) = await Verify(60);
            Assert.Empty(failed);
            var after = (await Detects(detectors)).Zip(before, (a, b) => a - b).ToArray();
            Console.WriteLine($"load balancing, a third Detector, 60 Verify: Detect calls per instance {string.Join(" / ", after)}");
            Assert.Equal(120, after.Sum());
            Assert.All(after, n => Assert.InRange(n, 20, 60)); // 40 each

            // 3. The first Detector and the first Embedder die under load (the pod is gone from DNS a moment later):
            //    calls already sent to them are retried on the others, the rest go to the survivors.
            before = await Detects(detectors);
            (ok, failed) = await Verify(60, async i =>
            {
                if (i != 10)
                    return;
                detectors[0].Process.Kill();
                embedders[0].Process.Kill();
                hosts.Set("127.0.0.12", "127.0.0.13");
                await Task.CompletedTask;
            });
            Console.WriteLine($"load balancing, one Detector and one Embedder killed during 60 Verify: {ok} answered, {failed.Count} failed ({string.Join("; ", failed)})");
            // At most the calls in flight when the processes died (concurrency 4).
            Assert.True(failed.Count <= 4, $"{failed.Count} Verify calls failed: {string.Join("; ", failed)}");
            var survivors = (await Detects(detectors[1..])).Zip(before[1..], (a, b) => a - b).ToArray();
            Assert.All(survivors, n => Assert.True(n >= 20, $"a surviving Detector got {n} of the calls"));
        }
        finally
        {
            foreach (var instance in instances.Where(i => !i.Process.HasExited))
                instance.Process.Kill();
            foreach (var instance in instances)
                await instance.Process.WaitForExitAsync();
        }
    }
}
