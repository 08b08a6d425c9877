using FaceMesh.Hosting;
using FaceMesh.Pipeline.Embedding;
using Grpc.Core;

namespace FaceMesh.Embedder;

/// <summary>What the Embedder process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class EmbedderHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = ServiceDefaults.CreateBuilder(args, "facemesh-embedder");
        builder.RequireFleetToken<EmbedderGrpcService>();
        builder.AddValidatedOptions<EmbedderOptions>(EmbedderOptions.Section);
        builder.Services.AddSingleton<EmbedderModel>();
        builder.Services.AddSingleton<EmbedderMetrics>();
        builder.Services.Configure<ErrorStatusMap>(errors => errors
            .Map<EmbedderBusyException>(StatusCode.ResourceExhausted)
            .Map<ArgumentException>(StatusCode.InvalidArgument));
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(
            grpc => grpc.MaxReceiveMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes); // a photo, or a crowd's crops
        builder.Services.AddHostedService<ModelWarmup>();

        var app = builder.Build();
        app.MapGrpcService<EmbedderGrpcService>();
        app.LogFleetTrust("the Embedder");
        app.MapFaceMeshEndpoints();
        app.Services.GetRequiredService<EmbedderMetrics>();
        return app;
    }
}
