using FaceMesh.Hosting;
using FaceMesh.Messaging;
using MassTransit;

namespace FaceMesh.Gateway;

/// <summary>What the Gateway process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class GatewayHost
{
    /// <summary>Photos up to the image limit travel in one message.</summary>
    public const int MaxMessageBytes = 32 * 1024 * 1024;

    /// <summary>Internal calls are retried on UNAVAILABLE (all are idempotent), within the caller's deadline.</summary>
    private static readonly Grpc.Net.Client.Configuration.ServiceConfig RetryOnUnavailable =
        FaceMesh.Client.RetryPolicies.OnUnavailable(maxAttempts: 4, initialBackoff: TimeSpan.FromMilliseconds(100));

    public static WebApplication Build(string[] args) => Build(args, sharedBus: null);

    /// <param name="sharedBus">The single-process mode's in-memory bus (the Matcher's), when Bus:Transport is InMemory.</param>
    public static WebApplication Build(string[] args, IBus? sharedBus)
    {
        var builder = FaceMeshService.CreateBuilder(args, "facemesh-gateway");
        builder.AddValidatedOptions<GatewayOptions>(GatewayOptions.Section);
        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = MaxMessageBytes).AddJsonTranscoding();
        AddClient<Contracts.V1.Detector.DetectorClient>(builder, options.DetectorAddress);
        AddClient<Contracts.V1.Embedder.EmbedderClient>(builder, options.EmbedderAddress);
        AddClient<Contracts.V1.Matcher.MatcherClient>(builder, options.MatcherAddress);
        builder.Services.AddSingleton<ModelThresholds>();
        builder.Services.AddSingleton<EnrollmentWriter>();
        builder.AddValidatedOptions<BusOptions>(BusOptions.Section);
        var bus = FaceMeshBus.ReadOptions(builder.Configuration);
        if (bus.Transport == "RabbitMq")
            builder.Services.AddFaceMeshBus(bus);
        else if (bus.Transport == "InMemory")
            builder.Services.AddSingleton(sharedBus ?? throw new InvalidOperationException(
                "Bus:Transport=InMemory works only in the single-process mode (services/AllInOne). For separate processes use RabbitMq, or leave it empty for direct calls."));

        var app = builder.Build();
        app.MapGrpcService<FaceMeshGrpcService>();
        app.MapFaceMeshEndpoints();
        // The Gateway holds no model: it is ready when it listens; its calls fail with UNAVAILABLE until the fleet is up.
        app.Services.GetRequiredService<Readiness>().MarkReady();
        return app;
    }

    private static void AddClient<TClient>(WebApplicationBuilder builder, string address) where TClient : class =>
        builder.Services.AddGrpcClient<TClient>(client => client.Address = Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : new Uri("http://invalid"))
            .ConfigureChannel(channel =>
            {
                channel.ServiceConfig = RetryOnUnavailable;
                channel.MaxReceiveMessageSize = MaxMessageBytes;
                channel.MaxSendMessageSize = MaxMessageBytes;
            });
}
