using FaceMesh.Client;
using FaceMesh.Contracts.V1;
using FaceMesh.LoadGenerator;
using Google.Protobuf;

namespace FaceMesh.SystemTests;

/// <summary>The load generator against a loopback fleet, bounded to a few seconds.</summary>
public sealed class LoadGeneratorTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    [Fact]
    public async Task A_short_verify_run_counts_every_request_and_orders_its_percentiles()
    {
        var (client, channel) = FaceMeshClientFactory.Create(new FaceMeshClientOptions { Address = new Uri(fleet.Gateway.GrpcAddress) });
        using var _ = channel;
        var probe = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example("obama-240p.jpg"))) };
        var reference = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example("obama2.jpg"))) };
        var options = new LoadOptions { Rpc = "verify", Concurrency = 4, Duration = TimeSpan.FromSeconds(3), Warmup = TimeSpan.FromSeconds(0.5) };
        var result = await new LoadRun(async token => await client.VerifyAsync(new VerifyRequest { Probe = probe, ReferenceImage = reference }, cancellationToken: token), options).RunAsync();

        Assert.True(result.Succeeded >= 2, $"{result.Succeeded} requests succeeded"); // other tests share the 2 cores
        Assert.Empty(result.Errors);
        Assert.Equal(result.Requests, result.Succeeded);
        Assert.True(result.P50Ms <= result.P95Ms && result.P95Ms <= result.P99Ms && result.P99Ms <= result.MaxMs);
        Assert.Equal(result.Succeeded / result.Seconds, result.Throughput, 6);
    }
}
