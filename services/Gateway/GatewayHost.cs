using FaceMesh.Hosting;
using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace FaceMesh.Gateway;

/// <summary>What the Gateway process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class GatewayHost
{
    /// <summary>Photos up to the image limit travel in one message.</summary>
    public const int MaxMessageBytes = 32 * 1024 * 1024;

    /// <summary>
    /// Internal calls are idempotent (a face upsert is keyed by its face id), so each is retried on
    /// UNAVAILABLE with exponential back-off, within the caller's deadline.
    /// </summary>
    private static readonly ServiceConfig RetryOnUnavailable = new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 4,
                    InitialBackoff = TimeSpan.FromMilliseconds(100),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };

    public static WebApplication Build(string[] args)
    {
        var builder = FaceMeshService.CreateBuilder(args, "facemesh-gateway");
        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = MaxMessageBytes).AddJsonTranscoding();
        AddClient<Contracts.V1.Detector.DetectorClient>(builder, options.DetectorAddress);
        AddClient<Contracts.V1.Embedder.EmbedderClient>(builder, options.EmbedderAddress);
        AddClient<Contracts.V1.Matcher.MatcherClient>(builder, options.MatcherAddress);
        builder.Services.AddSingleton<ModelThresholds>();

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
