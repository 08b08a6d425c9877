using System.Globalization;
using FaceMesh.Hosting;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Alignment;
using Grpc.Core;

namespace FaceMesh.Detector;

/// <summary>What the Detector process hosts; <c>Program</c> runs it, tests start it on loopback.</summary>
public static class DetectorHost
{
    public static WebApplication Build(string[] args)
    {
        var builder = ServiceDefaults.CreateBuilder(args, "facemesh-detector");
        builder.RequireFleetToken<DetectorGrpcService>();
        builder.AddValidatedOptions<DetectorOptions>(DetectorOptions.Section);
        builder.Services.AddSingleton<DetectorModel>();
        builder.Services.AddHostedService<DetectorWarmup>();
        builder.Services.Configure<ErrorStatusMap>(errors => errors
            .Map<InvalidImageException>(StatusCode.InvalidArgument)
            .Map<DecodeBudgetExceededException>(StatusCode.ResourceExhausted, e => new Metadata
            {
                { DetectorGrpcService.RetryAfterTrailer, ((int)e.RetryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) },
            })
            // The pack's landmark model misbehaves, not the caller's photo: an operator must replace the model files.
            .Map<LandmarkModelException>(StatusCode.Internal));
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions>(
            grpc => grpc.MaxReceiveMessageSize = Contracts.V1.ApiLimits.MaxRequestBytes); // a photo, or a crowd's crops

        var app = builder.Build();
        app.MapGrpcService<DetectorGrpcService>();
        app.LogFleetTrust("the Detector");
        app.MapFaceMeshEndpoints();
        return app;
    }
}
