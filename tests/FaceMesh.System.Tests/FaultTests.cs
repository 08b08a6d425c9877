using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceMesh.Contracts.V1;
using FaceMesh.Gateway;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMesh.SystemTests;

/// <summary>
/// Faults under load, each counted: attempted, succeeded, failed with a clear error, lost (an acknowledged enrollment
/// that is not in the gallery afterwards, or a call that never answered). Lost must be 0.
/// </summary>
public sealed class FaultTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    private sealed record Counts(int Attempted, int Succeeded, ConcurrentBag<RpcException> Failed, int Lost)
    {
        public override string ToString() =>
            $"attempted {Attempted}, succeeded {Succeeded}, failed with an error {Failed.Count} ({string.Join(", ", Failed.GroupBy(e => e.StatusCode).Select(g => $"{g.Key} {g.Count()}"))}), lost {Lost}";
    }

    [Fact]
    public async Task The_embedder_killed_and_restarted_under_enrollment_load_loses_nothing_and_the_fleet_recovers()
    {
        int grpc = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        string[] settings = [$"--Embedder:Pack={TestPaths.DefaultPack}", $"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}", "--Logging:LogLevel:Default=Warning"];
        var embedder = TestProcess.StartService("Embedder", settings);
        await using var gateway = await LoopbackService.Start(GatewayHost.Build, LoopbackFleet.Anonymous, $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}",
            $"--Gateway:EmbedderAddress=http://127.0.0.1:{grpc}", $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}");
        var client = new FaceMeshApi.FaceMeshApiClient(gateway.Channel);
        const int total = 240;
        var acknowledged = new ConcurrentBag<(string Subject, string FaceId)>();
        var failed = new ConcurrentBag<RpcException>();
        int next = -1;
        try
        {
            await TestProcess.WaitReady(http);
            var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var fault = Task.Run(async () =>
            {
                while (acknowledged.Count + failed.Count < 60)
                    await Task.Delay(10);
                embedder.Kill(); // SIGKILL under load
                await embedder.WaitForExitAsync();
                await Task.Delay(TimeSpan.FromSeconds(4)); // longer than the Gateway's retries (about 3 s), so the fault is felt
                embedder = TestProcess.StartService("Embedder", settings);
                await TestProcess.WaitReady(http);
                restarted.SetResult();
            });
            var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < total;)
                {
                    if (i == 180)
                        await restarted.Task; // the last 60 run against the restarted Embedder: the fleet must have recovered
                    var request = new EnrollRequest { Gallery = "embedder-fault", SubjectId = $"s{i:D3}", Photos = { new EnrollPhoto { Image = Photo(i % 2 == 0 ? "obama-240p.jpg" : "obama_small.jpg") } } };
                    try
                    {
                        var answer = await client.EnrollAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
                        acknowledged.Add((request.SubjectId, answer.Faces[0].FaceId));
                    }
                    catch (RpcException e)
                    {
                        failed.Add(e);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            await fault;

            // After the restart every enrollment succeeds again: 10 more, one at a time.
            for (int i = 0; i < 10; i++)
                await client.EnrollAsync(new EnrollRequest { Gallery = "embedder-fault", SubjectId = $"after{i}", Photos = { new EnrollPhoto { Image = Photo("obama-240p.jpg") } } });
            var matcher = new MatcherService.MatcherServiceClient(fleet.Matcher.Channel);
            var check = new AwaitFacesRequest { Gallery = new GalleryRef { Tenant = "default", Gallery = "embedder-fault" } };
            check.FaceIds.Add(acknowledged.Select(a => a.FaceId));
            var pending = (await matcher.AwaitFacesAsync(check, deadline: DateTime.UtcNow.AddSeconds(30))).Pending;
            var counts = new Counts(total, acknowledged.Count, failed, pending.Count);
            Console.WriteLine($"Embedder SIGKILL + restart during {total} enrollments: {counts}");
            Assert.Equal(total, acknowledged.Count + failed.Count);      // every call answered
            Assert.NotEmpty(failed);                                      // the fault was felt
            Assert.All(failed, e =>
            {
                Assert.Equal(StatusCode.Unavailable, e.StatusCode);
                Assert.Contains("The Embedder is unavailable", e.Status.Detail); // says which part and what to do
                Assert.Contains("Retry", e.Status.Detail);
            });
            Assert.Empty(pending);                                        // lost = 0
            Assert.True(acknowledged.Count(a => int.Parse(a.Subject[1..]) >= 180) == 60, "every enrollment after the restart succeeded");
        }
        finally
        {
            if (!embedder.HasExited)
                embedder.Kill();
            embedder.WaitForExit();
        }
    }

    [Fact]
    public async Task A_slow_embedder_makes_calls_fail_at_their_deadline_without_pile_up_and_the_fleet_recovers_when_it_is_fast_again()
    {
        await using var proxy = new SlowLinkProxy(new Uri(fleet.Embedder.GrpcAddress).Port);
        // The Gateway runs as its own process so that its /metrics counts its own requests only (in one process,
        // OpenTelemetry merges the ASP.NET Core meters of every host). Callers set no deadline: the Gateway's default
        // one (2 s here) bounds every internal call.
        int grpc = LoopbackService.FreePort(), http = LoopbackService.FreePort();
        var gatewayProcess = TestProcess.StartService("Gateway", [LoopbackFleet.Anonymous, $"--Endpoints:GrpcPort={grpc}", $"--Endpoints:HttpPort={http}",
            "--Logging:LogLevel:Default=Warning", $"--Gateway:DetectorAddress={fleet.Detector.GrpcAddress}", $"--Gateway:EmbedderAddress=http://127.0.0.1:{proxy.Port}",
            $"--Gateway:MatcherAddress={fleet.Matcher.GrpcAddress}", "--Gateway:DefaultDeadlineSeconds=2"]);
        try
        {
            await TestProcess.WaitReady(http);
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            await SlowEmbedderRun(new FaceMeshApi.FaceMeshApiClient(channel), metrics, proxy);
        }
        finally
        {
            gatewayProcess.Kill();
            await gatewayProcess.WaitForExitAsync();
        }
    }

    private static async Task SlowEmbedderRun(FaceMeshApi.FaceMeshApiClient client, HttpClient gatewayHttp, SlowLinkProxy proxy)
    {
        var verify = new VerifyRequest { Probe = Photo("obama-240p.jpg"), ReferenceImage = Photo("obama_small.jpg") };
        var clock = Stopwatch.StartNew();
        Assert.True((await client.VerifyAsync(verify, deadline: DateTime.UtcNow.AddSeconds(60))).Match); // fast: fine (a deadline of its own: the first call loads models)

        proxy.Delay = TimeSpan.FromSeconds(6); // every answer of the Embedder now takes 6 s to arrive
        var failed = new ConcurrentBag<RpcException>();
        int succeeded = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 3; i++)
            {
                try
                {
                    await client.VerifyAsync(verify); // no deadline of its own: the Gateway's bounds the call
                    Interlocked.Increment(ref succeeded);
                }
                catch (RpcException e)
                {
                    failed.Add(e);
                }
            }
        })));
        var slowPhase = clock.Elapsed;
        Console.WriteLine($"slow Embedder (6 s per answer), 12 Verify calls, internal deadline 2 s: {new Counts(12, succeeded, failed, 0)} ({slowPhase.TotalSeconds:F1} s so far)");
        Assert.Equal(12, failed.Count);
        Assert.All(failed, e =>
        {
            Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
            Assert.Contains("did not answer before the call's deadline", e.Status.Detail); // the Gateway's words, naming the service
        });
        Assert.Contains(failed, e => e.Status.Detail.StartsWith("The Embedder", StringComparison.Ordinal));

        // No pile-up: once the calls were answered, the Gateway holds no request open (the internal calls were cancelled).
        double active = double.NaN;
        for (int i = 0; i < 50 && active != 0; i++, await Task.Delay(100))
            active = PrometheusText.Sample(await gatewayHttp.GetStringAsync("/metrics"), "http_server_active_requests", "http_request_method=\"POST\"");
        Assert.Equal(0, active);

        proxy.Delay = TimeSpan.Zero;
        for (int i = 0; i < 5; i++)
            Assert.True((await client.VerifyAsync(verify, deadline: DateTime.UtcNow.AddSeconds(20))).Match); // recovered
        Console.WriteLine($"recovered; {clock.Elapsed.TotalSeconds:F1} s in all");
    }
}

/// <summary>
/// A TCP proxy on loopback in front of a service whose answers can be held back (<see cref="Delay"/> per chunk from
/// the service to the caller): a slow service or link, made from real sockets, without touching the service.
/// </summary>
public sealed class SlowLinkProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly int _target;

    public SlowLinkProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = Accept();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public TimeSpan Delay { get; set; }

    private async Task Accept()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var caller = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Relay(caller);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task Relay(TcpClient caller)
    {
        using var _ = caller;
        using var service = new TcpClient();
        await service.ConnectAsync(IPAddress.Loopback, _target);
        var up = Pump(caller.GetStream(), service.GetStream(), slow: false);
        var down = Pump(service.GetStream(), caller.GetStream(), slow: true);
        await Task.WhenAny(up, down);
    }

    private async Task Pump(NetworkStream from, NetworkStream to, bool slow)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                if (slow && Delay > TimeSpan.Zero)
                    await Task.Delay(Delay, _stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
    }
}
