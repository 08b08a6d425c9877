using FaceMesh.Hosting;

namespace FaceMesh.Detector;

/// <summary>What the Detector process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class DetectorHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = FaceMeshService.CreateBuilder(args, "facemesh-detector");
        builder.RequireFleetToken<DetectorGrpcService>();
        builder.AddValidatedOptions<DetectorOptions>(DetectorOptions.Section);
        builder.Services.AddSingleton<DetectorModel>();
        builder.Services.AddHostedService<DetectorWarmup>();
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(grpc => grpc.MaxReceiveMessageSize = FaceMeshService.MaxInternalMessageBytes);

        var app = builder.Build();
        app.MapGrpcService<DetectorGrpcService>();
        app.LogFleetTrust("the Detector");
        app.MapFaceMeshEndpoints();
        return app;
    }
}
