using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Matcher;

namespace FaceMesh.Pipeline.Tests;

/// <summary>The four services, each on its own loopback ports, the Gateway wired to the other three.</summary>
public sealed class LoopbackFleet : IAsyncLifetime
{
    public LoopbackService Detector { get; private set; } = null!;
    public LoopbackService Embedder { get; private set; } = null!;
    public LoopbackService Matcher { get; private set; } = null!;
    public LoopbackService Gateway { get; private set; } = null!;

    public Contracts.V1.FaceMesh.FaceMeshClient Client => new(Gateway.Channel);

    public async Task InitializeAsync()
    {
        Detector = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}");
        Embedder = await LoopbackService.Start(EmbedderHost.Build, $"--Embedder:Pack={TestPaths.DefaultPack}", "--Embedder:MaxQueueDelayMs=10");
        Matcher = await LoopbackService.Start(MatcherHost.Build);
        Gateway = await LoopbackService.Start(GatewayHost.Build,
            $"--Gateway:DetectorAddress={Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={Matcher.GrpcAddress}");
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Matcher.DisposeAsync();
        await Embedder.DisposeAsync();
        await Detector.DisposeAsync();
    }
}
