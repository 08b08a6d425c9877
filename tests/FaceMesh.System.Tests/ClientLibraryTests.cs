using FaceMesh.Client;
using FaceMesh.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FaceMesh.SystemTests;

/// <summary>The client library against a loopback fleet: DI registration, default deadline.</summary>
public sealed class ClientLibraryTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static Image Photo(string name) => new() { Content = ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    [Fact]
    public async Task AddFaceMeshClient_gives_a_working_injected_client()
    {
        var services = new ServiceCollection();
        services.AddFaceMeshClient(o => o.Address = new Uri(fleet.Gateway.GrpcAddress)); // the API key it sends: SecurityTests
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<FaceMeshApi.FaceMeshApiClient>();
        var response = await client.VerifyAsync(new VerifyRequest { Probe = Photo("obama.jpg"), ReferenceImage = Photo("obama2.jpg") });
        Assert.True(response.Match, $"score {response.Score}");
    }

    [Fact]
    public async Task The_default_deadline_applies_to_calls_that_set_none()
    {
        var (client, channel) = FaceMeshClientFactory.Create(new FaceMeshClientOptions
        {
            Address = new Uri(fleet.Gateway.GrpcAddress), DefaultDeadline = TimeSpan.FromMilliseconds(1),
        });
        using var _ = channel;
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.IdentifyAsync(new IdentifyRequest { Gallery = "any", Image = Photo("obama-1080p.jpg") }));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }
}
