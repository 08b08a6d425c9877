using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Matcher;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FaceMesh.Testing;

/// <summary>The four services, each on its own loopback ports, the Gateway wired to the other three.</summary>
public sealed class LoopbackFleet : IAsyncLifetime
{
    public LoopbackService Detector { get; private set; } = null!;
    public LoopbackService Embedder { get; private set; } = null!;
    public LoopbackService Matcher { get; private set; } = null!;
    public LoopbackService Gateway { get; private set; } = null!;

    public Contracts.V1.FaceMeshApi.FaceMeshApiClient Client => new(Gateway.Channel);

    /// <summary>The Gateway setting of the tests that are not about authentication: calls without credentials act as tenant "default",
    /// admin.</summary>
    public const string Anonymous = "--Gateway:Auth:AllowAnonymous=true";

    /// <summary>
    /// The tests' Gateways allow 120 s where a call gives no deadline (the product's default is 30 s): the tests check
    /// what a call answers, not how fast, and on 2 cores shared with the Training tier a new fleet's first photo, or a
    /// crowd of 100 faces, once took longer than 30 s (CI and clean-clone runs). Tests of deadlines set their own.
    /// </summary>
    public const string UnhurriedDeadline = "--Gateway:DefaultDeadlineSeconds=120";

    public async Task InitializeAsync()
    {
        Detector = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={TestPaths.DefaultPack}");
        Embedder = await LoopbackService.Start(EmbedderHost.Build, $"--Embedder:Pack={TestPaths.DefaultPack}", "--Embedder:MaxQueueDelayMs=10");
        Matcher = await LoopbackService.Start(MatcherHost.Build);
        Gateway = await LoopbackService.Start(GatewayHost.Build, Anonymous, UnhurriedDeadline,
            $"--Gateway:DetectorAddress={Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={Matcher.GrpcAddress}");
    }

    /// <summary>
    /// A Matcher and a Gateway sharing the Matcher's in-memory bus (the single-process mode's wiring), in front of
    /// this fleet's Detector and Embedder.
    /// </summary>
    public async Task<InMemoryBusPair> StartInMemoryBusPair()
    {
        var matcher = await LoopbackService.Start(MatcherHost.Build, "--Bus:Transport=InMemory");
        var bus = matcher.App.Services.GetRequiredService<IBus>();
        var gateway = await LoopbackService.Start(args => GatewayHost.Build(args, bus), "--Bus:Transport=InMemory", Anonymous,
            UnhurriedDeadline, $"--Gateway:DetectorAddress={Detector.GrpcAddress}", $"--Gateway:EmbedderAddress={Embedder.GrpcAddress}",
            $"--Gateway:MatcherAddress={matcher.GrpcAddress}");
        return new InMemoryBusPair(matcher, gateway);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Matcher.DisposeAsync();
        await Embedder.DisposeAsync();
        await Detector.DisposeAsync();
    }
}

public sealed record InMemoryBusPair(LoopbackService Matcher, LoopbackService Gateway) : IAsyncDisposable
{
    public Contracts.V1.FaceMeshApi.FaceMeshApiClient Client => new(Gateway.Channel);

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Matcher.DisposeAsync();
    }
}
